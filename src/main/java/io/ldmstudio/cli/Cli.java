package io.ldmstudio.cli;

import io.ldmstudio.config.ConfigException;
import io.ldmstudio.data.DataException;
import io.ldmstudio.weights.WeightFiles;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.ScopeType;

/**
 * The headless command line: the same services the studio uses. The only package that prints. Every
 * command and subcommand answers {@code --help} (inherited from here) and {@code help COMMAND}.
 */
@Command(name = "ldm-studio", mixinStandardHelpOptions = true, scope = ScopeType.INHERIT, version = "LDM Studio 0.1",
        description = "Latent Diffusion Model studio — train, sample and inspect diffusion models.",
        subcommands = {TrainCommand.class, ResumeCommand.class, SampleCommand.class, BenchCommand.class,
            VaeCommand.class, EvalCommand.class, PresetsCommand.class, RunsCommand.class, StudioCommand.class, HelpCommand.class})
public final class Cli implements Runnable {
    /** Exit status for a bad value on the command line or in a preset. */
    public static final int BAD_VALUE = 2;

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Cli());
        cl.setParameterExceptionHandler((ex, args) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("error: " + ex.getMessage().lines().findFirst().orElse(""));
            err.println("(see: " + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help)");
            err.flush();
            return BAD_VALUE;
        });
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            if (ex instanceof ConfigException || ex instanceof IllegalArgumentException || ex instanceof DataException
                    || ex instanceof io.ldmstudio.runs.Run.RunBusyException) {
                err.println("error: " + ex.getMessage());
                err.flush();
                return BAD_VALUE;
            }
            WeightFiles.WeightFileException badFile = badWeightFile(ex);
            if (badFile != null) { // a file the user named is not usable weights: a bad value too
                err.println("error: " + badFile.getMessage());
                err.flush();
                return BAD_VALUE;
            }
            err.println("error: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            err.flush();
            return 1;
        });
        return cl;
    }

    /** The weight-file problem behind {@code ex} (itself or a cause, e.g. through a model thread), or null. */
    private static WeightFiles.WeightFileException badWeightFile(Throwable ex) {
        for (Throwable t = ex; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof WeightFiles.WeightFileException w) {
                return w;
            }
        }
        return null;
    }

    public static int execute(String... args) {
        return commandLine().execute(args);
    }
}
