package io.ldmstudio.runs;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** The life of a run, as {@code state.json} records it (lower case in JSON). */
public enum RunStatus {
    CREATED, RUNNING, PAUSED, FINISHED, FAILED, STOPPED,
    /** Not written by a run: what a listing shows for a folder it cannot read. */
    BROKEN;

    @JsonValue
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static RunStatus of(String id) {
        for (RunStatus s : values()) {
            if (s.id().equals(id)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown run status '" + id
                + "': one of created, running, paused, finished, failed, stopped");
    }

    /** Finished, failed or stopped: nothing is working on it. */
    public boolean isTerminal() {
        return this == FINISHED || this == FAILED || this == STOPPED;
    }
}
