package io.ldmstudio.ui.common;

/** Background work that failed, with the few words saying what the studio was doing. */
public final class UiException extends RuntimeException {
    private final String what;

    public UiException(String what, Throwable cause) {
        super(what + ": " + UiErrors.message(cause), cause);
        this.what = what;
    }

    public String what() {
        return what;
    }
}
