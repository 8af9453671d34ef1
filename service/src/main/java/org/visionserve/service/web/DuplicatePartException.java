package org.visionserve.service.web;

/** A multipart request repeats a part its endpoint takes once. */
public class DuplicatePartException extends RuntimeException {

    private final String part;

    public DuplicatePartException(String part, long count) {
        super("the multipart part '" + part + "' appears " + count + " times; this endpoint takes it once");
        this.part = part;
    }

    public String part() {
        return part;
    }
}
