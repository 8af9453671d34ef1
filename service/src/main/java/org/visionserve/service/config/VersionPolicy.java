package org.visionserve.service.config;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Which versions of a model are served (Triton's version_policy), from
 * {@code visionserve.models.settings.<id>.version-policy}: {@code latest} or {@code latest:N} (the N
 * highest versions, default 1), {@code all}, or {@code specific:1,3} (those that exist).
 */
public record VersionPolicy(Kind kind, int latest, List<Integer> specific) {

    public enum Kind { LATEST, ALL, SPECIFIC }

    public static final VersionPolicy DEFAULT = new VersionPolicy(Kind.LATEST, 1, List.of());

    /** @throws IllegalArgumentException naming what is wrong with {@code text} */
    public static VersionPolicy parse(String text) {
        if (text == null || text.isBlank()) {
            return DEFAULT;
        }
        String t = text.trim();
        int colon = t.indexOf(':');
        String kind = (colon < 0 ? t : t.substring(0, colon)).trim();
        String arg = colon < 0 ? "" : t.substring(colon + 1).trim();
        try {
            switch (kind) {
                case "latest":
                    int n = arg.isEmpty() ? 1 : Integer.parseInt(arg);
                    if (n < 1) {
                        throw new NumberFormatException();
                    }
                    return new VersionPolicy(Kind.LATEST, n, List.of());
                case "all":
                    if (!arg.isEmpty()) {
                        break;
                    }
                    return new VersionPolicy(Kind.ALL, 0, List.of());
                case "specific":
                    List<Integer> versions = new ArrayList<>();
                    for (String v : arg.split(",")) {
                        int i = Integer.parseInt(v.trim());
                        if (i < 1) {
                            throw new NumberFormatException();
                        }
                        versions.add(i);
                    }
                    return new VersionPolicy(Kind.SPECIFIC, 0, List.copyOf(versions));
                default:
                    break;
            }
        } catch (NumberFormatException e) {
            // falls through to the message below
        }
        throw new IllegalArgumentException("version-policy '" + text + "' is none of latest, latest:N (N >= 1), all, "
                + "specific:V1,V2,... (positive integers)");
    }

    /** The versions of {@code available} this policy serves. */
    public SortedSet<Integer> select(Collection<Integer> available) {
        TreeSet<Integer> all = new TreeSet<>(available);
        return switch (kind) {
            case ALL -> all;
            case SPECIFIC -> {
                all.retainAll(specific);
                yield all;
            }
            case LATEST -> {
                TreeSet<Integer> top = new TreeSet<>();
                for (Integer v : all.descendingSet()) {
                    if (top.size() == latest) {
                        break;
                    }
                    top.add(v);
                }
                yield top;
            }
        };
    }

    @Override
    public String toString() {
        return switch (kind) {
            case ALL -> "all";
            case LATEST -> "latest:" + latest;
            case SPECIFIC -> "specific:" + String.join(",", specific.stream().map(String::valueOf).toList());
        };
    }
}
