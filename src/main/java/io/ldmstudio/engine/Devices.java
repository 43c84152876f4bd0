package io.ldmstudio.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Locale;

/**
 * Starts the engine and chooses the device. Nothing downloads: {@code ai.djl.offline} is set to true
 * unless the user has set it (for example {@code -Dai.djl.offline=false} with
 * {@code PYTORCH_FLAVOR=cu124} to let DJL fetch a CUDA build where there is a network). A local CUDA
 * libtorch is used through {@code PYTORCH_LIBRARY_PATH}.
 */
public final class Devices {
    private static volatile boolean started;

    private Devices() {}

    /** What was chosen, for printing at start and recording in the run. */
    public record DeviceInfo(Device device, String spec, String engine, String engineVersion, int gpus,
            int threads, String note) {
        public boolean isGpu() {
            return device.isGpu() || "mps".equals(device.getDeviceType());
        }

        /** {@code cpu}, {@code cuda:0}, {@code mps}. */
        public String name() {
            String type = device.getDeviceType();
            return device.getDeviceId() >= 0 && !"cpu".equals(type) ? type + ":" + device.getDeviceId() : type;
        }

        public String describe() {
            return String.format(Locale.ROOT, "device %s (%s %s, %d GPU%s visible, %d CPU threads)%s",
                    name(), engine, engineVersion, gpus, gpus == 1 ? "" : "s", threads,
                    note == null || note.isEmpty() ? "" : " — " + note);
        }
    }

    /** Sets offline mode and thread counts before the engine loads; safe to call more than once. */
    public static synchronized Engine startEngine() {
        if (!started) {
            if (System.getProperty("ai.djl.offline") == null) {
                System.setProperty("ai.djl.offline", "true");
            }
            if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
                System.setProperty("ai.djl.pytorch.num_threads",
                        Integer.toString(Runtime.getRuntime().availableProcessors()));
            }
            if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
                System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
            }
            started = true;
            Engine engine = Engine.getEngine("PyTorch");
            Nnpack.disableWhereUnsupported(); // else libtorch warns before every small CPU convolution
            return engine;
        }
        return Engine.getEngine("PyTorch");
    }

    /**
     * Resolves {@code auto|cpu|cuda|cuda:N|mps}. {@code auto} picks CUDA when the engine sees a GPU,
     * MPS on Apple silicon when a probe works there, else the CPU.
     *
     * @throws IllegalArgumentException naming the value and what is allowed, or why it can't be had
     */
    public static DeviceInfo resolve(String spec) {
        Engine engine = startEngine();
        String s = spec == null ? "auto" : spec.trim().toLowerCase(Locale.ROOT);
        int gpus = engine.getGpuCount();
        int threads = Integer.parseInt(System.getProperty("ai.djl.pytorch.num_threads", "1"));
        String version = engine.getVersion();
        switch (s) {
            case "auto":
                if (gpus > 0) {
                    return new DeviceInfo(Device.gpu(0), s, engine.getEngineName(), version, gpus, threads, "auto chose CUDA");
                }
                if (isAppleSilicon() && probe(Device.of("mps", -1))) {
                    return new DeviceInfo(Device.of("mps", -1), s, engine.getEngineName(), version, gpus, threads,
                            "auto chose Apple MPS");
                }
                return new DeviceInfo(Device.cpu(), s, engine.getEngineName(), version, gpus, threads,
                        "auto chose the CPU: no CUDA GPU or MPS device visible");
            case "cpu":
                return new DeviceInfo(Device.cpu(), s, engine.getEngineName(), version, gpus, threads, "");
            case "mps":
                if (!isAppleSilicon() || !probe(Device.of("mps", -1))) {
                    throw new IllegalArgumentException("--device mps: Apple MPS is not available on this machine ("
                            + System.getProperty("os.name") + " " + System.getProperty("os.arch")
                            + "); use auto, cpu or cuda");
                }
                return new DeviceInfo(Device.of("mps", -1), s, engine.getEngineName(), version, gpus, threads, "");
            default:
                if (s.equals("cuda") || s.matches("cuda:\\d+")) {
                    int id = s.equals("cuda") ? 0 : Integer.parseInt(s.substring(5));
                    if (id >= gpus) {
                        throw new IllegalArgumentException("--device " + spec + ": the engine sees " + gpus
                                + " CUDA GPU(s); a CUDA build of libtorch is needed (set PYTORCH_LIBRARY_PATH, see README)"
                                + " — allowed here: auto, cpu");
                    }
                    return new DeviceInfo(Device.gpu(id), s, engine.getEngineName(), version, gpus, threads, "");
                }
                throw new IllegalArgumentException("--device " + spec + ": expected auto, cpu, cuda, cuda:N or mps");
        }
    }

    static boolean isAppleSilicon() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        return os.contains("mac") && (arch.equals("aarch64") || arch.equals("arm64"));
    }

    /** Runs one small op on the device; any failure means the device is not usable. */
    static boolean probe(Device device) {
        try (NDManager m = NDManager.newBaseManager(device)) {
            NDArray a = m.ones(new ai.djl.ndarray.types.Shape(4, 4));
            return a.matMul(a).sum().getFloat() == 64f;
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return false;
        }
    }

    /**
     * A CUDA device's memory as the driver reports it, {@code {total, free}} in bytes; empty for the CPU,
     * MPS (Apple's unified memory has no separate figure) or when the driver cannot say.
     */
    public static java.util.Optional<long[]> gpuMemory(DeviceInfo info) {
        if (!info.isGpu() || !"gpu".equals(info.device().getDeviceType())) {
            return java.util.Optional.empty();
        }
        try {
            java.lang.management.MemoryUsage m = ai.djl.util.cuda.CudaUtils.getGpuMemory(info.device());
            return java.util.Optional.of(new long[] {m.getMax(), m.getMax() - m.getUsed()});
        } catch (RuntimeException | LinkageError e) {
            return java.util.Optional.empty();
        }
    }
}
