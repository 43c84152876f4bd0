package io.ldmstudio.ui.common;

import java.io.FileNotFoundException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

/** Turns exceptions into one line a user can act on: never a stack trace, never a bare class name. */
public final class UiErrors {
    private UiErrors() {}

    /** The most useful message in {@code e}'s cause chain. */
    public static String message(Throwable e) {
        if (e instanceof UiException u) {
            return u.getMessage();
        }
        Throwable t = e;
        while ((t instanceof java.util.concurrent.CompletionException
                || t instanceof java.util.concurrent.ExecutionException
                || t instanceof java.lang.reflect.InvocationTargetException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof NoSuchFileException || t instanceof FileNotFoundException) {
            return "not found: " + t.getMessage();
        }
        if (t instanceof AccessDeniedException) {
            return "permission denied: " + t.getMessage();
        }
        if (t instanceof OutOfMemoryError) {
            return "out of memory — try a smaller batch or fewer images";
        }
        String m = t.getMessage();
        if (m == null || m.isBlank()) {
            Throwable c = t.getCause();
            if (c != null && c != t) {
                return message(c);
            }
            return t.getClass().getSimpleName().replaceAll("(Exception|Error)$", "").replaceAll("([a-z])([A-Z])", "$1 $2")
                    .toLowerCase(java.util.Locale.ROOT);
        }
        return m.lines().findFirst().orElse(m).strip();
    }
}
