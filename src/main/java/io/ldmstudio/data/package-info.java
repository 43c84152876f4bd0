/**
 * Where training images come from: sources ({@link io.ldmstudio.data.ImageFolderSource},
 * {@link io.ldmstudio.data.Cifar10Source}, {@link io.ldmstudio.data.IdxSource},
 * {@link io.ldmstudio.data.ProceduralSource}, opened from a config by
 * {@link io.ldmstudio.data.Sources#open}), the {@link io.ldmstudio.data.Transform} that shapes them
 * to the run's resolution and channels, the prefetching, deterministic
 * {@link io.ldmstudio.data.DataLoader}, and PNG/grid writing ({@link io.ldmstudio.data.Grids},
 * {@link io.ldmstudio.data.ImageWriter}).
 *
 * <p>Images travel as CHW {@code float[]} arrays: {@link io.ldmstudio.data.Pixels} in [0, 1] at the
 * image's own size, and the transformed result in [-1, 1] at the configured resolution. Nothing here
 * prints; problems are {@link io.ldmstudio.data.DataException}s or entries of
 * {@link io.ldmstudio.data.ImageSource#skipped()}.
 */
package io.ldmstudio.data;
