package io.ldmstudio.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigValidatorTest {

    /**
     * The defaults with {@code key=value} settings, then the fields the validator rejects. Values are
     * put in the JSON tree as strings for string keys and as JSON otherwise, bypassing the override
     * parser's vocabulary check so the validator's own checks are exercised.
     */
    private static List<String> fieldsWithErrors(String... settings) {
        ObjectNode tree = Configs.MAPPER.valueToTree(RunConfig.defaults());
        for (String setting : settings) {
            String key = setting.substring(0, setting.indexOf('='));
            String value = setting.substring(setting.indexOf('=') + 1);
            ObjectNode parent = tree;
            String[] parts = key.split("\\.");
            for (int i = 0; i < parts.length - 1; i++) {
                parent = (ObjectNode) parent.get(parts[i]);
            }
            String leaf = parts[parts.length - 1];
            if (ConfigSchema.find(key).orElseThrow().kind() == ConfigSchema.Kind.STRING) {
                parent.put(leaf, value.isEmpty() ? null : value);
            } else {
                ConfigOverrides.apply(tree, setting);
            }
        }
        RunConfig c = Configs.MAPPER.convertValue(tree, RunConfig.class);
        return ConfigValidator.validate(c).stream().map(ConfigError::field).toList();
    }

    private static void rejects(String field, String... overrides) {
        List<String> fields = fieldsWithErrors(overrides);
        assertEquals(List.of(field), fields, () -> String.join(" ", overrides));
    }

    @Test
    void defaultsAreValid() {
        assertEquals(List.of(), ConfigValidator.validate(RunConfig.defaults()));
    }

    @Test
    void conditioningProblems() {
        assertEquals(List.of(), fieldsWithErrors("conditioning.type=class", "conditioning.guidance=4.5"));
        assertEquals(List.of(), fieldsWithErrors("conditioning.type=class", "conditioning.drop_prob=0"));
        rejects("conditioning.type", "conditioning.type=text");
        rejects("conditioning.drop_prob", "conditioning.type=class", "conditioning.drop_prob=1.5");
        rejects("conditioning.guidance", "conditioning.type=class", "conditioning.guidance=-1");
        rejects("conditioning.classes", "conditioning.type=class", "conditioning.classes=-2");
        rejects("conditioning.type", "task=autoencoder", "conditioning.type=class");
        assertEquals("none", RunConfig.defaults().conditioning().type(), "unconditional unless asked");
        assertEquals(List.of(), fieldsWithErrors("conditioning.type=cross_attention"));
        assertEquals(List.of(), fieldsWithErrors("conditioning.type=cross_attention", "conditioning.cross_attention_dim=64",
                "conditioning.transformer_layers_per_block=2"));
        rejects("conditioning.cross_attention_dim", "conditioning.type=cross_attention",
                "conditioning.cross_attention_dim=-8");
        rejects("conditioning.transformer_layers_per_block", "conditioning.type=cross_attention",
                "conditioning.transformer_layers_per_block=17");
        rejects("conditioning.type", "task=autoencoder", "conditioning.type=cross_attention");
        RunConfig.Conditioning d = RunConfig.defaults().conditioning();
        assertEquals(512, d.crossAttentionDim(), "LDM's class-conditional model's context_dim");
        assertEquals(1, d.transformerLayersPerBlock());
        assertEquals(512, new RunConfig.Conditioning("cross_attention", 0.1, 3, 0, 0, 0).crossAttentionDim(),
                "a config written before the keys existed reads 0: the default");
    }

    @Test
    void evalProblemsNameTheFieldAndWhatIsAllowed() {
        assertEquals(new RunConfig.Eval(0, 500, "auto", "auto", 0), RunConfig.defaults().eval(), "off by default");
        assertEquals(List.of(), fieldsWithErrors("eval.every=275", "eval.n=500", "eval.sampler=dpmpp", "eval.steps=20"));
        assertEquals(List.of(), fieldsWithErrors("eval.every=10", "eval.metric=fid"), "accepted here, refused at start");
        rejects("eval.every", "eval.every=-1");
        rejects("eval.n", "eval.n=1");
        rejects("eval.n", "eval.n=50001");
        rejects("eval.metric", "eval.metric=is");
        rejects("eval.sampler", "eval.sampler=euler");
        rejects("eval.steps", "eval.steps=-3");
        rejects("eval.steps", "eval.steps=1001");
        rejects("eval.every", "task=autoencoder", "eval.every=100");
        ConfigError e = ConfigValidator.validate(RunConfig.defaults().withEval(new RunConfig.Eval(5, 1, "auto", "auto",
                0))).get(0);
        assertEquals("eval.n", e.field());
        assertTrue(e.toString().contains("2..50000") && e.toString().contains("covariance"), e.toString());
        RunConfig.Sampling s = RunConfig.defaults().sampling();
        assertEquals("ddim", new RunConfig.Eval(1, 2, "auto", "auto", 0).samplerFor(s));
        assertEquals(50, new RunConfig.Eval(1, 2, "auto", "auto", 0).stepsFor(s));
        assertEquals("ddpm", new RunConfig.Eval(1, 2, "auto", "ddpm", 7).samplerFor(s));
        assertEquals(7, new RunConfig.Eval(1, 2, "auto", "ddpm", 7).stepsFor(s));
    }

    @Test
    void aConfigWrittenBeforeEvalReadsWithEvaluationOff() throws Exception {
        ObjectNode tree = Configs.MAPPER.valueToTree(RunConfig.defaults());
        tree.remove("eval");
        RunConfig old = Configs.MAPPER.treeToValue(tree, RunConfig.class);
        assertEquals(RunConfig.Eval.defaults(), old.eval());
        assertTrue(!old.eval().enabled());
    }

    @Test
    void dataProblems() {
        rejects("data.source", "data.source=webdataset");
        rejects("data.source", "data.source=");
        rejects("data.path", "data.source=folder");
        rejects("data.path", "data.source=idx", "data.path=  ");
        rejects("data.resolution", "data.resolution=4");
        rejects("data.resolution", "data.resolution=2048");
        rejects("data.resolution", "data.resolution=34"); // not divisible by 4 = 2^(3 levels - 1)
        rejects("data.channels", "data.channels=2");
    }

    @Test
    void autoencoderAndLatentGeometryProblems() {
        rejects("autoencoder.path", "autoencoder.kind=pretrained");
        rejects("autoencoder.kind", "autoencoder.kind=vq");
        rejects("autoencoder.cache_dtype", "autoencoder.cache_dtype=bfloat16");
        // 40 px / f 8 = 5 latents: not divisible by 4 for a 3-level U-Net
        rejects("data.resolution", "autoencoder.kind=pretrained", "autoencoder.path=m", "data.resolution=40");
        // 36 px is not divisible by f = 8
        rejects("data.resolution", "autoencoder.kind=pretrained", "autoencoder.path=m", "data.resolution=36",
                "model.channel_mult=1", "model.attention_resolutions=1");
        assertEquals(List.of(), fieldsWithErrors("autoencoder.kind=pretrained", "autoencoder.path=m", "data.resolution=64",
                "model.channel_mult=1,2", "model.attention_resolutions=2"));
    }

    @Test
    void modelProblems() {
        rejects("model.model_channels", "model.model_channels=0");
        rejects("model.channel_mult", "model.channel_mult=[]");
        rejects("model.channel_mult", "model.channel_mult=1,0,2");
        rejects("model.norm_groups", "model.norm_groups=24"); // 64, 128 not divisible by 24
        rejects("model.num_heads", "model.num_heads=0");
        rejects("model.num_heads", "model.num_heads=3"); // 128 % 3 != 0
        rejects("model.attention_resolutions", "model.attention_resolutions=8"); // only 1, 2, 4 with 3 levels
        rejects("model.dropout", "model.dropout=1");
        ConfigError e = ConfigValidator.validate(ConfigOverrides.apply(RunConfig.defaults(),
                List.of("model.attention_resolutions=3"))).get(0);
        assertTrue(e.message().contains("[1, 2, 4]"), e.message());
    }

    @Test
    void headsComeFromNumHeadsOrHeadDimNeverBoth() {
        // defaults: attention at 128 channels (levels 2 and 3) and in the 128-channel middle block
        assertEquals(List.of(), fieldsWithErrors("model.num_heads=0", "model.head_dim=32"));
        assertEquals(List.of(), fieldsWithErrors("model.num_heads=0", "model.head_dim=128"), "one head");
        rejects("model.head_dim", "model.head_dim=32"); // num_heads 4 is still set
        rejects("model.num_heads", "model.num_heads=0", "model.head_dim=0");
        rejects("model.head_dim", "model.num_heads=0", "model.head_dim=-8");
        rejects("model.num_heads", "model.num_heads=-1");
        rejects("model.head_dim", "model.num_heads=0", "model.head_dim=48"); // 128 % 48 != 0
        // attention at 64 channels too: 64 / 64 = 1 head there, 128 / 64 = 2 in the rest
        assertEquals(List.of(), fieldsWithErrors("model.num_heads=0", "model.head_dim=64",
                "model.attention_resolutions=1,2,4"));
        rejects("model.head_dim", "model.num_heads=0", "model.head_dim=128", "model.attention_resolutions=1,2,4");

        List<ConfigError> both = ConfigValidator.validate(ConfigOverrides.apply(RunConfig.defaults(),
                List.of("model.head_dim=32")));
        assertTrue(both.get(0).message().contains("model.num_heads and model.head_dim: set one of them"),
                both.get(0).message());
        List<ConfigError> divides = ConfigValidator.validate(ConfigOverrides.apply(RunConfig.defaults(),
                List.of("model.num_heads=0", "model.head_dim=48", "model.channel_mult=2,4",
                        "model.attention_resolutions=1,2")));
        assertEquals("model.head_dim: 48 — must divide the channels of every attention level and of the middle block:"
                + " [128, 256]", divides.get(0).toString());
    }

    @Test
    void autoencoderRunProblemsNameTheFieldAndWhatIsAllowed() {
        rejects("task", "task=gan");
        assertEquals(List.of(), fieldsWithErrors("task=autoencoder"));
        // f = 2^(entries − 1) must be 1, 2, 4 or 8
        for (String outs : List.of("[32]", "[32,64]", "[32,64,64]", "[32,64,64,64]")) {
            assertEquals(List.of(), fieldsWithErrors("task=autoencoder", "vae.block_out_channels=" + outs), outs);
        }
        rejects("vae.block_out_channels", "task=autoencoder", "vae.block_out_channels=[32,32,64,64,64]");
        rejects("vae.block_out_channels", "vae.block_out_channels=[]");
        rejects("vae.block_out_channels", "vae.block_out_channels=32,0");
        rejects("vae.loss", "task=autoencoder", "vae.loss=lpips");
        rejects("vae.kl_weight", "task=autoencoder", "vae.kl_weight=-1e-6");
        assertEquals(List.of(), fieldsWithErrors("task=autoencoder", "vae.kl_weight=0"));
        rejects("vae.norm_groups", "vae.norm_groups=24"); // 32 and 64 are not divisible by 24
        rejects("vae.latent_channels", "vae.latent_channels=0");
        rejects("vae.layers_per_block", "vae.layers_per_block=0");
        rejects("vae.scaling_factor", "vae.scaling_factor=-1");
        // the resolution must be a multiple of the autoencoder's f (here 8), not of the U-Net's
        rejects("data.resolution", "task=autoencoder", "vae.block_out_channels=32,64,64,64", "data.resolution=36");
        assertEquals(List.of(), fieldsWithErrors("task=autoencoder", "vae.block_out_channels=32,64", "data.resolution=34"));
        rejects("autoencoder.kind", "task=autoencoder", "autoencoder.kind=pretrained", "autoencoder.path=m");

        List<ConfigError> errors = ConfigValidator.validate(ConfigOverrides.apply(RunConfig.defaults(),
                List.of("task=autoencoder", "vae.block_out_channels=16,32,32,64,64", "vae.loss=l2",
                        "vae.kl_weight=-1")));
        assertEquals(List.of("vae.block_out_channels", "vae.kl_weight"), errors.stream().map(ConfigError::field).toList());
        assertTrue(errors.get(0).message().contains("f = 2^4 = 16") && errors.get(0).message().contains("1, 2, 4 or 8"),
                errors.get(0).message());
        ConfigException bad = assertThrows(ConfigException.class,
                () -> ConfigOverrides.apply(RunConfig.defaults(), List.of("vae.loss=huber")));
        assertTrue(bad.getMessage().contains("vae.loss") && bad.getMessage().contains("l1, l2"), bad.getMessage());
    }

    @Test
    void aConfigWrittenBeforeAutoencoderRunsReadsAsADiffusionRun() throws Exception {
        ObjectNode tree = Configs.MAPPER.valueToTree(RunConfig.defaults());
        tree.remove("task");
        tree.remove("vae");
        RunConfig old = Configs.MAPPER.treeToValue(tree, RunConfig.class);
        assertEquals(RunConfig.DIFFUSION, old.task());
        assertEquals(RunConfig.Vae.defaults(), old.vae());
        assertEquals(RunConfig.defaults(), old);
    }

    @Test
    void diffusionOptimSamplingLoggingDeviceProblems() {
        rejects("diffusion.timesteps", "diffusion.timesteps=0");
        rejects("sampling.steps", "diffusion.timesteps=20", "sampling.steps=50");
        rejects("diffusion.timesteps", "diffusion.timesteps=20000", "sampling.steps=10");
        rejects("diffusion.schedule", "diffusion.schedule=sigmoid");
        rejects("diffusion.beta_end", "diffusion.schedule=linear", "diffusion.beta_start=0.02", "diffusion.beta_end=0.01");
        rejects("diffusion.beta_start", "diffusion.schedule=quadratic", "diffusion.beta_start=0");
        assertEquals(List.of(), fieldsWithErrors("diffusion.beta_start=0", "diffusion.schedule=cosine"),
                "betas are not used by the cosine schedule");
        rejects("diffusion.prediction", "diffusion.prediction=x0");
        rejects("optim.lr", "optim.lr=0");
        rejects("optim.beta2", "optim.beta2=1");
        rejects("optim.weight_decay", "optim.weight_decay=-0.1");
        rejects("optim.eps", "optim.eps=0");
        rejects("optim.lr_schedule", "optim.lr_schedule=step");
        rejects("optim.warmup_steps", "optim.warmup_steps=-1");
        rejects("optim.t_max", "optim.t_max=-5");
        rejects("optim.min_lr", "optim.min_lr=1");
        rejects("optim.grad_clip", "optim.grad_clip=-1");
        rejects("optim.ema_decay", "optim.ema_decay=1");
        rejects("optim.batch_size", "optim.batch_size=0");
        rejects("optim.steps", "optim.steps=0");
        rejects("sampling.sampler", "sampling.sampler=euler");
        rejects("sampling.steps", "sampling.steps=1001");
        rejects("sampling.steps", "sampling.steps=0");
        rejects("sampling.eta", "sampling.eta=1.5");
        rejects("sampling.n", "sampling.n=257");
        rejects("sampling.dynamic_thresholding_ratio", "sampling.dynamic_thresholding_ratio=0");
        rejects("sampling.sample_max_value", "sampling.sample_max_value=0.9");
        assertEquals(List.of(), fieldsWithErrors("sampling.thresholding=true", "sampling.sample_max_value=2.5"));
        rejects("logging.checkpoint_every", "logging.checkpoint_every=0");
        rejects("logging.sample_every", "logging.sample_every=0");
        rejects("logging.keep_checkpoints", "logging.keep_checkpoints=0");
        rejects("device", "device=gpu");
        rejects("device", "device=cuda:x");
        assertEquals(List.of(), fieldsWithErrors("device=mps"));
    }

    @Test
    void exceptionListsEveryProblemOnePerLine() {
        RunConfig c = ConfigOverrides.apply(RunConfig.defaults(), List.of("optim.lr=0", "data.channels=2"));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigValidator.check(c));
        assertEquals(2, e.errors().size());
        List<String> lines = e.getMessage().lines().toList();
        assertEquals(2, lines.size());
        assertTrue(lines.contains("data.channels: 2 — must be 1 (grayscale) or 3 (RGB)"), lines.toString());
        assertTrue(lines.contains("optim.lr: 0.0 — must be > 0 (e.g. 2e-4)"), lines.toString());
    }

    @Test
    void resolverSetsThePresetNameAndValidatesAfterOverrides() {
        RunConfig c = ConfigResolver.resolve(Presets.classpath(), "quickstart", List.of("optim.steps=10", "device=cpu"));
        assertEquals("quickstart", c.preset());
        assertEquals(10, c.optim().steps());
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigResolver.resolve(Presets.classpath(), "quickstart", List.of("data.source=folder")));
        assertEquals("data.path", e.errors().get(0).field());
    }
}
