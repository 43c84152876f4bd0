package io.ldmstudio.data;

/**
 * A problem with training data that a user can act on: a missing path, a malformed file, a folder
 * without images. Messages name the file or config field and say what was expected.
 */
public class DataException extends RuntimeException {
    public DataException(String message) {
        super(message);
    }

    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}
