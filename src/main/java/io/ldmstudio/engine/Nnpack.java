package io.ldmstudio.engine;

import ai.djl.pytorch.jni.LibUtils;
import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Turns PyTorch's NNPACK off where it cannot run. On a CPU without the instructions NNPACK needs,
 * libtorch (2.7) tries to initialise it before every small CPU convolution and logs "Could not
 * initialize NNPACK! Reason: Unsupported hardware." each time, flooding stderr (a {@code vae recon}
 * prints it hundreds of times). DJL has no switch for it and libtorch's {@code TORCH_CPP_LOG_LEVEL} is
 * only read when Python initialises it, so this asks libtorch directly, through its exported C++
 * symbols: {@code at::native::_nnpack_available()} (which logs the warning this once), and when that
 * says no, {@code at::globalContext().setUserEnabledNNPACK(false)}, after which convolutions no longer
 * consult NNPACK. Where NNPACK works nothing changes. Best effort: any problem (another libtorch,
 * Windows' different symbol names, no JNA) leaves things as they were.
 */
final class Nnpack {
    private static final String AVAILABLE = "_ZN2at6native17_nnpack_availableEv";
    private static final String GLOBAL_CONTEXT = "_ZN2at13globalContextEv";
    private static final String SET_ENABLED = "_ZN2at7Context20setUserEnabledNNPACKEb";

    private Nnpack() {}

    /**
     * Disables NNPACK when libtorch cannot use it; call once the PyTorch engine has loaded.
     *
     * @return whether NNPACK was found unusable and turned off
     */
    static boolean disableWhereUnsupported() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (os.startsWith("windows")) {
            return false; // MSVC mangles C++ names differently
        }
        try {
            Path lib = Path.of(LibUtils.getLibtorchPath()).resolve(System.mapLibraryName("torch_cpu"));
            if (!Files.isRegularFile(lib)) {
                return false;
            }
            NativeLibrary torch = NativeLibrary.getInstance(lib.toString());
            Function available = torch.getFunction(AVAILABLE);
            Function context = torch.getFunction(GLOBAL_CONTEXT);
            Function setEnabled = torch.getFunction(SET_ENABLED);
            if ((available.invokeInt(new Object[0]) & 0xFF) != 0) { // a C++ bool: the low byte
                return false;
            }
            Pointer ctx = context.invokePointer(new Object[0]);
            setEnabled.invokeVoid(new Object[] {ctx, Boolean.FALSE});
            return true;
        } catch (Throwable e) { // UnsatisfiedLinkError, NoClassDefFoundError, ...: keep the warnings
            return false;
        }
    }
}
