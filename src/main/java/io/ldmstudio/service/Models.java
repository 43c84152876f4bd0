package io.ldmstudio.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ldmstudio.diffusion.SchedulerConfig;
import io.ldmstudio.pipeline.NetworkSpec;
import io.ldmstudio.pipeline.Pipeline;
import io.ldmstudio.pipeline.PipelineFolder;
import io.ldmstudio.runs.AtomicFiles;
import io.ldmstudio.runs.Workspace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The diffusers pipelines the studio knows: every folder directly under the workspace's {@code models/},
 * and the folders opened from elsewhere with "Open model…", remembered in {@code models/opened.json}
 * (written atomically) so they are there at the next start. Listing opens each folder's configs only
 * ({@link Pipeline#open}); a folder that does not open is listed as broken with its message, a remembered
 * folder that has gone as missing. Not thread-safe: one caller at a time (the studio's background work).
 */
public final class Models {
    /** The file under {@code models/} naming the folders opened from elsewhere. */
    public static final String OPENED = "opened.json";

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Workspace workspace;

    public Models(Workspace workspace) {
        this.workspace = workspace;
    }

    /** {@code <workspace>/models/}. */
    public Path dir() {
        return workspace.modelsDir();
    }

    /** {@code models/opened.json}. */
    public Path openedFile() {
        return dir().resolve(OPENED);
    }

    /**
     * The folders under {@code models/} (by name), then the remembered ones (in the order opened); each OK,
     * broken (with the message naming the file) or missing. Names are the folder names, made unique with the
     * parent folder's name where two are alike.
     */
    public List<ModelInfo> list() throws IOException {
        List<ModelInfo> out = new ArrayList<>();
        Path dir = dir();
        if (Files.isDirectory(dir)) {
            List<Path> folders;
            try (Stream<Path> s = Files.list(dir)) {
                folders = s.filter(Files::isDirectory)
                        .filter(p -> !p.getFileName().toString().startsWith("."))
                        .sorted()
                        .toList();
            }
            for (Path f : folders) {
                out.add(describe(f, false));
            }
        }
        List<Path> remembered;
        try {
            remembered = remembered();
        } catch (IOException e) {
            remembered = List.of();
            out.add(new ModelInfo(OPENED, openedFile(), null, e.getMessage(), ModelInfo.Status.BROKEN, e.getMessage(),
                    true, null, null));
        }
        for (Path p : remembered) {
            if (isInModelsDir(p)) {
                continue; // listed above already
            }
            out.add(Files.exists(p) ? describe(p, true)
                    : new ModelInfo(nameOf(p), p, null, p + ": the folder is gone (moved or deleted)",
                            ModelInfo.Status.MISSING, p + ": the folder is gone (moved or deleted)", true, null, null));
        }
        return uniqueNames(out);
    }

    /**
     * Opens {@code folder} as a pipeline and, unless it is under {@code models/} already, remembers it.
     *
     * @throws IOException naming the file that is wrong, when the folder is not a pipeline the studio opens
     */
    public ModelInfo open(Path folder) throws IOException {
        Path dir = folder.toAbsolutePath().normalize();
        Pipeline p = openPipeline(dir);
        boolean elsewhere = !isInModelsDir(dir);
        if (elsewhere) {
            Set<Path> all = new LinkedHashSet<>(remembered());
            if (all.add(dir)) {
                write(List.copyOf(all));
            }
        }
        return info(dir, p, elsewhere);
    }

    /** Forgets a folder opened from elsewhere (its files stay); false when it was not remembered. */
    public boolean forget(Path folder) throws IOException {
        Path dir = folder.toAbsolutePath().normalize();
        List<Path> all = new ArrayList<>(remembered());
        boolean removed = all.remove(dir);
        if (removed) {
            write(all);
        }
        return removed;
    }

    /** The folders opened from elsewhere, in the order opened; none when {@code opened.json} does not exist. */
    public List<Path> remembered() throws IOException {
        Path file = openedFile();
        if (!Files.isRegularFile(file)) {
            return List.of();
        }
        JsonNode n;
        try {
            n = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")", e);
        }
        JsonNode list = n == null ? null : n.get("opened");
        if (list == null || !list.isArray()) {
            throw new IOException(file + ": expected {\"opened\": [folder, ...]}");
        }
        List<Path> out = new ArrayList<>();
        for (JsonNode e : list) {
            if (e.isTextual() && !e.asText().isBlank()) {
                out.add(Path.of(e.asText()).toAbsolutePath().normalize());
            }
        }
        return out;
    }

    private void write(List<Path> folders) throws IOException {
        AtomicFiles.writeJson(openedFile(), Map.of("opened", folders.stream().map(Path::toString).toList()));
    }

    private boolean isInModelsDir(Path p) {
        Path parent = p.toAbsolutePath().normalize().getParent();
        return parent != null && parent.equals(dir().toAbsolutePath().normalize());
    }

    /** What {@code dir} is: OK with its summary, or broken with the message naming the file. */
    public static ModelInfo describe(Path dir, boolean remembered) {
        try {
            return info(dir, openPipeline(dir), remembered);
        } catch (IOException e) {
            String m = e.getMessage() == null ? dir + ": " + e.getClass().getSimpleName() : e.getMessage();
            return new ModelInfo(nameOf(dir), dir, null, m, ModelInfo.Status.BROKEN, m, remembered, null, null);
        }
    }

    /** {@link Pipeline#open}, with any other failure turned into an IOException naming {@code dir}. */
    private static Pipeline openPipeline(Path dir) throws IOException {
        try {
            return Pipeline.open(dir);
        } catch (RuntimeException e) {
            String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new IOException(m.contains(dir.toString()) ? m : dir + ": " + m, e);
        }
    }

    private static ModelInfo info(Path dir, Pipeline p, boolean remembered) {
        Optional<PipelineFolder.Component> ae = p.folder().component("vqvae");
        return new ModelInfo(nameOf(dir), dir, p.folder().pipelineClass(), summary(p), ModelInfo.Status.OK, null,
                remembered, ae.map(PipelineFolder.Component::className).orElse(null),
                ae.map(c -> c.config().toAbsolutePath().getParent()).orElse(null));
    }

    /**
     * One line on what a pipeline makes: "LDMPipeline · VQModel f=4 · 3×64×64 latents → 256 px RGB ·
     * DDIMScheduler, T=1000", or "DDPMPipeline · 32 px RGB in pixel space · DDPMScheduler, T=1000"; a
     * class-conditional one adds "· 10 classes by class embedding" (or "by cross-attention").
     */
    public static String summary(Pipeline p) {
        NetworkSpec u = p.network();
        SchedulerConfig s = p.scheduler();
        StringBuilder b = new StringBuilder(p.folder().pipelineClass()).append(" · ");
        String image = p.imageSize() + " px " + channels(p.imageChannels());
        if (p.hasAutoencoder()) {
            String cls = p.folder().component("vqvae").map(PipelineFolder.Component::className).orElse("autoencoder");
            int f = p.imageSize() / Math.max(1, u.sampleSize());
            b.append(cls).append(" f=").append(f).append(" · ")
                    .append(u.inChannels()).append('×').append(u.sampleSize()).append('×').append(u.sampleSize())
                    .append(" latents → ").append(image);
        } else {
            b.append(image).append(" in pixel space");
        }
        b.append(" · ").append(s.className()).append(", T=").append(s.numTrainTimesteps());
        if (p.classes() > 0) {
            b.append(" · ").append(p.classes()).append(p.classes() == 1 ? " class" : " classes")
                    .append(u.isCrossAttention() ? " by cross-attention" : " by class embedding");
        }
        return b.toString();
    }

    private static String channels(int c) {
        return switch (c) {
            case 1 -> "grey";
            case 3 -> "RGB";
            case 4 -> "RGBA";
            default -> String.format(Locale.ROOT, "%d-channel", c);
        };
    }

    private static String nameOf(Path dir) {
        Path n = dir.getFileName();
        return n == null ? dir.toString() : n.toString();
    }

    /** Two alike names both get their parent folder's name in front ("a/sd", "b/sd"). */
    private static List<ModelInfo> uniqueNames(List<ModelInfo> in) {
        Map<String, Integer> count = new HashMap<>();
        in.forEach(m -> count.merge(m.name(), 1, Integer::sum));
        List<ModelInfo> out = new ArrayList<>(in.size());
        Set<String> used = new LinkedHashSet<>();
        for (ModelInfo m : in) {
            String name = m.name();
            if (count.get(name) > 1 && m.dir().getParent() != null && m.dir().getParent().getFileName() != null) {
                name = m.dir().getParent().getFileName() + "/" + name;
            }
            String base = name;
            for (int i = 2; !used.add(name); i++) {
                name = base + " (" + i + ")";
            }
            out.add(name.equals(m.name()) ? m : new ModelInfo(name, m.dir(), m.pipelineClass(), m.summary(), m.status(),
                    m.problem(), m.remembered(), m.autoencoderClass(), m.autoencoderDir()));
        }
        return out;
    }
}
