package io.ldmstudio.service;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ldmstudio.config.RunConfig;
import io.ldmstudio.runs.EvalRow;
import io.ldmstudio.runs.MetricsRow;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.Workspace;
import io.ldmstudio.training.TrainingListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run followed through its folder: evaluation rows arrive as onEval, never as loss rows. */
class RunFollowerEvalTest {
    @TempDir
    Path tmp;

    @Test
    void evaluationRowsAreReportedAsEvaluationsAndLossRowsAsMetrics() throws Exception {
        Run run = new Workspace(tmp).create("r", RunConfig.defaults());
        List<Object> seen = new ArrayList<>();
        RunFollower f = new RunFollower(run, new TrainingListener() {
            @Override
            public void onMetrics(MetricsRow row) {
                seen.add(row);
            }

            @Override
            public void onEval(EvalRow row) {
                seen.add(row);
            }
        });
        MetricsRow loss = new MetricsRow(10, 0.5, 1e-4, 1, 20, 3);
        EvalRow eval = new EvalRow(10, "FD_procedural", 12.5, 40, "ddim", 3, 1.5, 0.5);
        run.appendMetrics(loss);
        run.appendEval(eval);
        f.poll();
        assertEquals(List.of(loss, eval), seen);
    }
}
