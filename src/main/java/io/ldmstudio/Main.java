package io.ldmstudio;

/** Entry point: a CLI command, or (with no command) the studio. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.out.println("LDM Studio: the CLI is being built; see README.md");
    }
}
