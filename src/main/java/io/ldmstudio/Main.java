package io.ldmstudio;

import io.ldmstudio.cli.Cli;

/** Entry point: a CLI command, or with no command the studio window. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        // ImageIO's disk cache for streamed writes registers a shutdown hook on first use: a grid written
        // while Ctrl+C or TERM shuts down would fail ("Shutdown in progress") and leave /tmp/imageio*.tmp
        javax.imageio.ImageIO.setUseCache(false);
        int status = Cli.execute(args.length == 0 ? new String[] {"studio"} : args);
        System.exit(status);
    }
}
