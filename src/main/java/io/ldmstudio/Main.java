package io.ldmstudio;

import io.ldmstudio.cli.Cli;

/** Entry point: a CLI command, or with no command the studio window. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        int status = Cli.execute(args.length == 0 ? new String[] {"studio"} : args);
        System.exit(status);
    }
}
