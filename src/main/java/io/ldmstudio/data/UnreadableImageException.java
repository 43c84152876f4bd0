package io.ldmstudio.data;

/**
 * Image {@code index} of a source cannot be used: its file does not decode (or was left out when a
 * latent cache was built). The source has listed it in {@link ImageSource#skipped()}; callers leave
 * the image out — nothing may stand in for it under its index.
 */
public final class UnreadableImageException extends DataException {
    private final int index;
    private final String path;
    private final String reason;

    public UnreadableImageException(int index, String path, String reason) {
        super("cannot decode " + path + ": " + reason);
        this.index = index;
        this.path = path;
        this.reason = reason;
    }

    /** The image's index in its source. */
    public int index() {
        return index;
    }

    /** The file, as listed in {@link ImageSource#skipped()}. */
    public String path() {
        return path;
    }

    /** Why it was left out, as listed in {@link ImageSource#skipped()}. */
    public String reason() {
        return reason;
    }
}
