package io.ldmstudio.nn;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * PyTorch's grad mode is per thread and on by default in threads the engine did not start; a thread
 * that updates weights in place or samples must turn it off first (gradient collectors turn it on
 * for their scope and off again when closed).
 */
public final class GradMode {
    private GradMode() {}

    public static void disable() {
        if (Engine.hasEngine("PyTorch")) {
            Engine.getEngine("PyTorch"); // loads the native library if nothing has yet
            JniUtils.setGradMode(false);
        }
    }
}
