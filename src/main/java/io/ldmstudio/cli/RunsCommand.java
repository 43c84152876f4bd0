package io.ldmstudio.cli;

import io.ldmstudio.runs.RunInfo;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "runs", description = "List the runs in the workspace: status, the last step logged, the step a "
        + "resume starts from (the newest checkpoint), the last loss; a failed run's reason and a run's note below it.")
final class RunsCommand implements Callable<Integer> {
    @Mixin
    Common common;

    @Override
    public Integer call() throws Exception {
        List<RunInfo> runs = common.workspace().list();
        if (runs.isEmpty()) {
            System.out.println("no runs in " + common.workspace().runsDir());
            return 0;
        }
        System.out.printf(Locale.ROOT, "%-36s %-24s %-11s %-9s %9s %9s %10s  %s%n", "RUN", "PRESET", "TASK", "STATUS",
                "STEP", "RESUME AT", "LOSS", "CREATED");
        for (RunInfo r : runs) {
            String status = r.status().name().toLowerCase(Locale.ROOT);
            System.out.printf(Locale.ROOT, "%-36s %-24s %-11s %-9s %9d %9s %10s  %s%n", r.name(),
                    r.preset() == null ? "-" : r.preset(), r.task() == null ? "-" : r.task(), status, r.step(),
                    r.broken() ? "-" : Long.toString(r.checkpointStep()),
                    Double.isNaN(r.lastLoss()) ? "-" : String.format(Locale.ROOT, "%.5f", r.lastLoss()),
                    r.created() == null ? "-" : r.created().toString());
            if ((r.broken() || r.status() == io.ldmstudio.runs.RunStatus.FAILED) && r.message() != null
                    && !r.message().isBlank()) {
                System.out.println("    " + r.message());
            }
            if (!r.note().isEmpty()) {
                System.out.println("    note: " + r.note().lines().findFirst().orElse(""));
            }
        }
        return 0;
    }
}
