package io.ldmstudio.weights;

import ai.djl.ndarray.NDManager;
import io.ldmstudio.nn.FidInceptionV3;
import io.ldmstudio.nn.Module;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The FID Inception network's weights: pytorch-fid's {@code pt_inception-2015-12-05-6726825d.pth} (TensorFlow's
 * 2015-12-05 Inception ported to torchvision's layout) converted to safetensors with its own names
 * ({@code Conv2d_1a_3x3.conv.weight}, {@code Mixed_5b.branch1x1.bn.running_mean}, …, {@code fc.bias}) by
 * {@value #CONVERTER}. The studio never loads the pickle and downloads nothing: the user converts the file once and
 * puts it at {@value #DEFAULT_FILE} in the workspace (or names it).
 */
public final class InceptionWeights {
    /** Where the converted weights are looked for, relative to the workspace. */
    public static final String DEFAULT_FILE = "models/pt_inception-2015-12-05.safetensors";
    /** The script that converts pytorch-fid's {@code .pth} (torch + numpy; no safetensors package needed). */
    public static final String CONVERTER = "bench/convert_pytorch_fid_inception.py";
    /** pytorch-fid's weights file, as its release names it. */
    public static final String PYTORCH_FID_FILE = "pt_inception-2015-12-05-6726825d.pth";

    private static final String HOW_TO_GET = "the FID Inception weights are pytorch-fid's " + PYTORCH_FID_FILE
            + " (github.com/mseitzer/pytorch-fid, release fid_weights) converted to safetensors with: python3 "
            + CONVERTER + " " + PYTORCH_FID_FILE + " " + DEFAULT_FILE;

    /** BatchNorm's step counter, which a converted state dict may hold; the network has no use for it. */
    private static final String BATCHES_TRACKED = ".num_batches_tracked";

    private InceptionWeights() {}

    /** {@value #DEFAULT_FILE} under {@code workspace}. */
    public static Path defaultFile(Path workspace) {
        return workspace.resolve(DEFAULT_FILE);
    }

    /**
     * The network with its weights read from {@code file} (parameters owned by {@code manager}), checked strictly:
     * every parameter present with its shape, nothing else but BatchNorm's {@code num_batches_tracked}.
     *
     * @throws WeightFiles.WeightFileException naming the file: missing, a pickle, malformed, non-finite values, or
     *     missing / unexpected / wrongly shaped tensors (all listed at once)
     */
    public static FidInceptionV3 open(Path file, NDManager manager) throws IOException {
        FidInceptionV3 net = new FidInceptionV3();
        net.loadStateDict(readFor(net, file), manager);
        return net;
    }

    /** The values for {@code net}'s parameters from {@code file}, checked as {@link #open} says. */
    public static Map<String, float[]> readFor(FidInceptionV3 net, Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new WeightFiles.WeightFileException(file, (Files.exists(file) ? "is not a file" : "does not exist")
                    + "; " + HOW_TO_GET);
        }
        try {
            WeightFiles.checkNotPickle(file);
        } catch (WeightFiles.WeightFileException e) {
            throw new WeightFiles.WeightFileException(file, "is a PyTorch pickle, which the studio never loads; "
                    + HOW_TO_GET, e);
        }
        SafeTensors.Contents contents = SafeTensors.read(file);
        Map<String, Module.Param> params = net.namedParameters();
        Map<String, float[]> values = new LinkedHashMap<>();
        List<String> unexpected = new ArrayList<>();
        List<String> wrongShape = new ArrayList<>();
        List<String> shapeless = new ArrayList<>();
        for (Map.Entry<String, TensorData> e : contents.tensors().entrySet()) {
            String name = e.getKey();
            Module.Param p = params.get(name);
            if (p == null) {
                if (isBatchesTracked(name, params)) {
                    continue;
                }
                unexpected.add(name);
                continue;
            }
            long[] want = p.shape().getShape();
            long[] got = e.getValue().shape();
            if (!Arrays.equals(want, got)) {
                wrongShape.add(name + " " + Arrays.toString(got) + " (expected " + Arrays.toString(want) + ")");
                shapeless.add(name);
                continue;
            }
            values.put(name, contents.finiteValues(name));
        }
        List<String> missing = new ArrayList<>();
        for (String name : params.keySet()) {
            if (!values.containsKey(name) && !shapeless.contains(name)) {
                missing.add(name);
            }
        }
        if (!missing.isEmpty() || !unexpected.isEmpty() || !wrongShape.isEmpty()) {
            StringBuilder sb = new StringBuilder("the weights do not fit pytorch-fid's Inception (torchvision names, "
                    + "1008 classes, no AuxLogits):");
            WeightFiles.appendList(sb, "missing", missing);
            WeightFiles.appendList(sb, "unexpected", unexpected);
            WeightFiles.appendList(sb, "wrong shape", wrongShape);
            sb.append("\n  ").append(HOW_TO_GET);
            throw new WeightFiles.WeightFileException(file, sb.toString());
        }
        return values;
    }

    /** A BatchNorm's {@code num_batches_tracked}, of a BatchNorm the network has. */
    private static boolean isBatchesTracked(String name, Map<String, Module.Param> params) {
        return name.endsWith(BATCHES_TRACKED)
                && params.containsKey(name.substring(0, name.length() - BATCHES_TRACKED.length()) + ".running_mean");
    }
}
