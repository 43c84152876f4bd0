package io.ldmstudio;

import io.ldmstudio.cli.Cli;

/** Entry point: a CLI command, or (with no command) the studio once it lands; until then help. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(Cli.execute(args));
    }
}
