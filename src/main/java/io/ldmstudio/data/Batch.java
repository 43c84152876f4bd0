package io.ldmstudio.data;

/**
 * A batch of transformed images: {@code data} is NCHW ({@code size × channels × height × width})
 * floats in [-1, 1], {@code labels} one per image, and {@code position} the loader position (global
 * sample counter) of the first image — the batch covers positions {@code position … position+size-1}.
 */
public record Batch(float[] data, int[] labels, int size, int channels, int height, int width, long position) {

    /** Values per image: {@code channels · height · width}. */
    public int imageLength() {
        return channels * height * width;
    }

    /** A copy of image {@code k} (CHW). */
    public float[] image(int k) {
        int len = imageLength();
        float[] out = new float[len];
        System.arraycopy(data, k * len, out, 0, len);
        return out;
    }
}
