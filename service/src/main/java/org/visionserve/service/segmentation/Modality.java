package org.visionserve.service.segmentation;

import java.util.Locale;

/**
 * The four Dixon images IVD-Net takes, in its channel order (the reference's main.py concatenates
 * fat, inn, opp, wat; channel c feeds encoder path c).
 */
public enum Modality {
    FAT("fat", "fat"),
    INN("inn", "in-phase"),
    OPP("opp", "opposed-phase"),
    WAT("wat", "water");

    /** The IVDM3Seg file suffix ({@code <id>_fat.nii}, ...). */
    public final String key;
    public final String description;

    Modality(String key, String description) {
        this.key = key;
        this.description = description;
    }

    public int channel() {
        return ordinal();
    }

    /** Accepts the IVDM3Seg key or the description, any case, '_' or '-' or nothing between words. */
    public static Modality parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT).replace("_", "").replace("-", "").replace(" ", "");
        for (Modality m : values()) {
            if (n.equals(m.key) || n.equals(m.description.replace("-", ""))) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown modality '" + name + "'; expected fat, inn (in-phase), "
                + "opp (opposed-phase) or wat (water)");
    }

    @Override
    public String toString() {
        return key + " (" + description + ")";
    }
}
