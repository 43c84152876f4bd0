package io.ldmstudio.diffusion;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ldmstudio.config.RunConfig;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A diffusers {@code scheduler_config.json} for {@code DDPMScheduler}, {@code DDIMScheduler} or
 * {@code DPMSolverMultistepScheduler}, read with that class's semantics (diffusers
 * {@code src/diffusers/schedulers/scheduling_ddpm.py}, {@code scheduling_ddim.py},
 * {@code scheduling_dpmsolver_multistep.py}, {@code configuration_utils.py}).
 *
 * <p>Every component holds the value the class's {@code __init__} would see: the file's value where the
 * file gives the key and the class knows it, else the class's default. A component the class does not
 * have holds what the studio's samplers then use: {@code setAlphaToOne} true (only DDIM has it),
 * {@code clipSample} false for DPM-Solver++ (which has no clipping), {@code varianceType}
 * {@code fixed_small} outside DDPM, and DPM-Solver++'s defaults for its keys elsewhere.
 * Keys the class does not know are ignored, as diffusers does; so are keys listed in
 * {@code _use_default_values}. Values that would change results in ways the studio's samplers do not
 * implement are refused with a message naming the file, the key and what was expected.
 *
 * <p><b>Precision.</b> diffusers computes betas in float32 torch ({@code torch.linspace(..., dtype=
 * float32)}, {@code ** 2} for scaled_linear, {@code torch.tensor(betas_for_alpha_bar(T), float32)} for
 * the cosine). The studio computes the same formulas in doubles ({@link NoiseSchedule}); the two agree
 * to float32 precision (relative 1e-6, the float32 rounding of the doubles), which the tests check. The
 * doubles are the exact values of the formulas; the studio's own schedules written by
 * {@link #forStudio} therefore read back bit-identical.
 *
 * <p>{@link #raw()} keeps the file's object, so {@link #asClass(String)} can redo diffusers'
 * {@code OtherScheduler.from_config(config)}: keys the target class knows keep the file's values, the
 * rest of the target's keys take the target's defaults (e.g. a DDPMScheduler config read as DDIM gets
 * {@code set_alpha_to_one = true}, and its {@code variance_type} is dropped).
 */
public record SchedulerConfig(
        String source,
        String className,
        int numTrainTimesteps,
        String betaSchedule,
        double betaStart,
        double betaEnd,
        double[] trainedBetas,
        Prediction prediction,
        TimestepSpacing timestepSpacing,
        int stepsOffset,
        boolean setAlphaToOne,
        boolean clipSample,
        double clipSampleRange,
        Thresholding thresholding,
        String varianceType,
        int solverOrder,
        boolean lowerOrderFinal,
        boolean eulerAtFinal,
        String finalSigmasType,
        ObjectNode raw) {

    public static final String DDPM = "DDPMScheduler";
    public static final String DDIM = "DDIMScheduler";
    public static final String DPM_SOLVER = "DPMSolverMultistepScheduler";
    /** The classes read here. */
    public static final List<String> CLASSES = List.of(DDPM, DDIM, DPM_SOLVER);
    /** The diffusers version written into {@code _diffusers_version}. */
    public static final String DIFFUSERS_VERSION = "0.27.0";

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS) // Python writes -Infinity, NaN
            .build();

    private static final Set<String> COMMON = Set.of("num_train_timesteps", "beta_start", "beta_end",
            "beta_schedule", "trained_betas", "prediction_type", "thresholding",
            "dynamic_thresholding_ratio", "sample_max_value", "timestep_spacing", "steps_offset",
            "rescale_betas_zero_snr");
    /** {@code __init__} keys of DDPMScheduler (scheduling_ddpm.py). */
    static final Set<String> DDPM_KEYS = union(COMMON, "variance_type", "clip_sample",
            "clip_sample_range");
    /** {@code __init__} keys of DDIMScheduler (scheduling_ddim.py). */
    static final Set<String> DDIM_KEYS = union(COMMON, "clip_sample", "set_alpha_to_one",
            "clip_sample_range");
    /** {@code __init__} keys of DPMSolverMultistepScheduler (scheduling_dpmsolver_multistep.py). */
    static final Set<String> DPM_KEYS = union(COMMON, "solver_order", "algorithm_type",
            "solver_type", "lower_order_final", "euler_at_final", "use_karras_sigmas",
            "use_exponential_sigmas", "use_beta_sigmas", "use_lu_lambdas", "use_flow_sigmas",
            "flow_shift", "final_sigmas_type", "lambda_min_clipped", "variance_type",
            "use_dynamic_shifting", "time_shift_type");

    public SchedulerConfig {
        trainedBetas = trainedBetas == null ? null : trainedBetas.clone();
        raw = raw == null ? JSON.createObjectNode() : raw.deepCopy();
    }

    @Override
    public double[] trainedBetas() {
        return trainedBetas == null ? null : trainedBetas.clone();
    }

    @Override
    public ObjectNode raw() {
        return raw.deepCopy();
    }

    // ---------------------------------------------------------------- reading

    /** Parses the JSON text of a config whose {@code _class_name} is one of {@link #CLASSES}. */
    public static SchedulerConfig parse(String json, String source) {
        ObjectNode node = object(json, source);
        JsonNode cls = node.get("_class_name");
        if (cls == null || !cls.isTextual()) {
            throw new IllegalArgumentException(source + ": _class_name " + (cls == null ? "is missing"
                    : cls + " is not a string") + " (expected " + classList() + ")");
        }
        return of(node, source, cls.asText());
    }

    /**
     * Parses the JSON text as diffusers' {@code className.from_config(config)}: whatever its
     * {@code _class_name}, the keys {@code className} knows are read and its defaults fill the rest.
     */
    public static SchedulerConfig parse(String json, String source, String className) {
        return of(object(json, source), source, className);
    }

    /**
     * The sampling keys a pipeline's scheduler config may be given at sampling time, as diffusers'
     * {@code from_config(config, key=value)} takes them; the schedule itself (betas, timesteps, prediction) is
     * the trained model's and is not among them.
     */
    public static final List<String> OVERRIDABLE = List.of("timestep_spacing", "steps_offset", "set_alpha_to_one",
            "clip_sample", "clip_sample_range", "thresholding", "dynamic_thresholding_ratio", "sample_max_value",
            "variance_type", "solver_order", "lower_order_final", "euler_at_final", "final_sigmas_type");

    /**
     * This config with {@code values} (key → value as text: a number, {@code true}/{@code false}, or a word) set on
     * the file's object and read again, as diffusers' {@code ThisClass.from_config(config, **values)}: the same
     * checks, with {@code what} naming the values in messages ("--set scheduler.…"). A key outside
     * {@link #OVERRIDABLE} is refused, naming the keys that are.
     */
    public SchedulerConfig withOverrides(java.util.Map<String, String> values, String what) {
        ObjectNode node = raw.deepCopy();
        // a key given now is not a default any more: diffusers' keyword wins over _use_default_values
        JsonNode defaults = node.get("_use_default_values");
        if (defaults != null && defaults.isArray()) {
            ArrayNode kept = JSON.createArrayNode();
            defaults.forEach(d -> {
                if (!values.containsKey(d.asText())) {
                    kept.add(d);
                }
            });
            node.set("_use_default_values", kept);
        }
        for (java.util.Map.Entry<String, String> e : values.entrySet()) {
            if (!OVERRIDABLE.contains(e.getKey())) {
                throw new IllegalArgumentException(what + "." + e.getKey() + ": not a sampling key of the scheduler;"
                        + " expected one of " + String.join(", ", OVERRIDABLE));
            }
            String v = e.getValue().strip();
            JsonNode parsed;
            try {
                parsed = JSON.readTree(v);
            } catch (JsonProcessingException ex) {
                parsed = null;
            }
            if (parsed != null && (parsed.isNumber() || parsed.isBoolean())) {
                node.set(e.getKey(), parsed);
            } else {
                node.put(e.getKey(), v);
            }
        }
        return of(node, source + " with " + what + " " + values, className);
    }

    /** This config as {@code className.from_config(this config)} (diffusers' conversion). */
    public SchedulerConfig asClass(String className) {
        return of(raw, source, className);
    }

    private static ObjectNode object(String json, String source) {
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(source + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException(source + ": expected a JSON object");
        }
        return (ObjectNode) node;
    }

    private static SchedulerConfig of(ObjectNode node, String source, String className) {
        Set<String> known;
        switch (className == null ? "" : className) {
            case DDPM:
                known = DDPM_KEYS;
                break;
            case DDIM:
                known = DDIM_KEYS;
                break;
            case DPM_SOLVER:
                known = DPM_KEYS;
                break;
            default:
                throw new IllegalArgumentException(source + ": _class_name '" + className
                        + "' is not supported (expected " + classList() + ")");
        }
        Keys k = new Keys(node, source, known);
        boolean dpm = className.equals(DPM_SOLVER);

        int tTrain = k.integer("num_train_timesteps", 1000);
        if (tTrain < 1) {
            throw k.bad("num_train_timesteps", tTrain, "an integer of at least 1");
        }
        double betaStart = k.number("beta_start", 0.0001);
        double betaEnd = k.number("beta_end", 0.02);
        String betaSchedule = k.string("beta_schedule", "linear");
        double[] trained = k.betas("trained_betas", tTrain);
        if (trained == null) {
            switch (betaSchedule) {
                case "linear":
                case "scaled_linear":
                    checkBeta(k, "beta_start", betaStart);
                    checkBeta(k, "beta_end", betaEnd);
                    break;
                case "squaredcos_cap_v2":
                    break;
                default:
                    throw k.bad("beta_schedule", betaSchedule,
                            "linear, scaled_linear or squaredcos_cap_v2");
            }
        }
        String predName = k.string("prediction_type", "epsilon");
        Prediction prediction = Prediction.parseDiffusers(predName);
        if (prediction == null) {
            throw k.bad("prediction_type", predName, "epsilon, v_prediction or sample");
        }
        String spacingName = k.string("timestep_spacing", dpm ? "linspace" : "leading");
        TimestepSpacing spacing;
        switch (spacingName) {
            case "leading":
                spacing = TimestepSpacing.LEADING;
                break;
            case "trailing":
                spacing = TimestepSpacing.TRAILING;
                break;
            case "linspace":
                spacing = TimestepSpacing.LINSPACE;
                break;
            default:
                throw k.bad("timestep_spacing", spacingName, "leading, trailing or linspace");
        }
        int stepsOffset = k.integer("steps_offset", 0);
        Thresholding thresholding = null;
        if (k.bool("thresholding", false)) {
            double ratio = k.number("dynamic_thresholding_ratio", Thresholding.DEFAULT_RATIO);
            if (!(ratio > 0 && ratio <= 1)) {
                throw k.bad("dynamic_thresholding_ratio", ratio, "a number in (0, 1]");
            }
            double max = k.number("sample_max_value", Thresholding.DEFAULT_MAX_VALUE);
            if (!(max >= 1) || Double.isInfinite(max)) {
                throw k.bad("sample_max_value", max, "a number of at least 1");
            }
            thresholding = new Thresholding(ratio, max);
        }
        k.requireFalse("rescale_betas_zero_snr");

        boolean setAlphaToOne = k.bool("set_alpha_to_one", true);
        boolean clipSample = k.bool("clip_sample", !dpm); // DDPM and DDIM default to True
        double clipRange = k.number("clip_sample_range", 1.0);
        if (clipSample && !(clipRange > 0)) {
            throw k.bad("clip_sample_range", clipRange, "a positive number");
        }

        String varianceType = "fixed_small";
        if (className.equals(DDPM)) {
            varianceType = k.string("variance_type", "fixed_small");
            if (!List.of("fixed_small", "fixed_small_log", "fixed_large").contains(varianceType)) {
                // learned, learned_range need a network with a variance output; fixed_large_log makes
                // diffusers take the square root of log β (NaN); anything else is not a variance type
                throw k.bad("variance_type", varianceType,
                        "fixed_small, fixed_small_log or fixed_large");
            }
        }

        int solverOrder = 2;
        boolean lowerOrderFinal = true;
        boolean eulerAtFinal = false;
        String finalSigmas = "zero";
        if (dpm) {
            String algorithm = k.string("algorithm_type", "dpmsolver++");
            if (!algorithm.equals("dpmsolver++") && !algorithm.equals("deis")) { // deis → dpmsolver++
                throw k.bad("algorithm_type", algorithm, "dpmsolver++");
            }
            solverOrder = k.integer("solver_order", 2);
            if (solverOrder != 1 && solverOrder != 2) {
                throw k.bad("solver_order", solverOrder, "1 or 2");
            }
            String solverType = k.string("solver_type", "midpoint");
            // diffusers maps logrho, bh1, bh2 to midpoint; heun changes the second-order update
            if (!List.of("midpoint", "logrho", "bh1", "bh2").contains(solverType)
                    && !(solverType.equals("heun") && solverOrder == 1)) {
                throw k.bad("solver_type", solverType, "midpoint");
            }
            lowerOrderFinal = k.bool("lower_order_final", true);
            eulerAtFinal = k.bool("euler_at_final", false);
            finalSigmas = k.string("final_sigmas_type", "zero");
            if (!finalSigmas.equals("zero") && !finalSigmas.equals("sigma_min")) {
                throw k.bad("final_sigmas_type", finalSigmas, "zero or sigma_min");
            }
            for (String flag : List.of("use_karras_sigmas", "use_exponential_sigmas",
                    "use_beta_sigmas", "use_lu_lambdas", "use_flow_sigmas", "use_dynamic_shifting")) {
                k.requireFalse(flag);
            }
            double lambdaMin = k.number("lambda_min_clipped", Double.NEGATIVE_INFINITY);
            if (lambdaMin != Double.NEGATIVE_INFINITY) {
                throw k.bad("lambda_min_clipped", lambdaMin, "-inf");
            }
            // DPM-Solver only looks at learned / learned_range (it then keeps the first 3 channels of
            // the output); any other value, e.g. a DDPM config's fixed_small, changes nothing
            String vt = k.string("variance_type", null);
            if ("learned".equals(vt) || "learned_range".equals(vt)) {
                throw k.bad("variance_type", vt, "null, or a fixed variance type");
            }
        }
        return new SchedulerConfig(source, className, tTrain, betaSchedule, betaStart, betaEnd,
                trained, prediction, spacing, stepsOffset, setAlphaToOne, clipSample, clipRange,
                thresholding, varianceType, solverOrder, lowerOrderFinal, eulerAtFinal, finalSigmas, node);
    }

    private static void checkBeta(Keys k, String key, double v) {
        if (!(v > 0 && v < 1)) {
            throw k.bad(key, v, "a number in (0, 1)");
        }
    }

    private static String classList() {
        return DDPM + ", " + DDIM + " or " + DPM_SOLVER;
    }

    // ---------------------------------------------------------------- what it means

    /**
     * The training schedule: {@code trained_betas} if given, else {@code beta_schedule} —
     * {@code linear} is {@link NoiseSchedule#linear(int, double, double)}, {@code scaled_linear} is
     * {@link NoiseSchedule#quadratic(int, double, double)} (linspace of √β, squared: the same
     * formula), {@code squaredcos_cap_v2} is {@link NoiseSchedule#cosine(int)} (diffusers'
     * {@code betas_for_alpha_bar} with max_beta 0.999: the same formula) — read as
     * {@code prediction_type}. Computed in doubles; see the class comment on precision.
     */
    public NoiseSchedule noiseSchedule() {
        NoiseSchedule s;
        if (trainedBetas != null) {
            s = NoiseSchedule.fromBetas(trainedBetas, prediction);
        } else {
            switch (betaSchedule) {
                case "linear":
                    s = betaEnd >= betaStart
                            ? NoiseSchedule.linear(numTrainTimesteps, betaStart, betaEnd)
                            : NoiseSchedule.fromBetas(
                                    NoiseSchedule.linspace(betaStart, betaEnd, numTrainTimesteps),
                                    prediction);
                    break;
                case "scaled_linear":
                    if (betaEnd >= betaStart) {
                        s = NoiseSchedule.quadratic(numTrainTimesteps, betaStart, betaEnd);
                    } else {
                        double[] b = NoiseSchedule.linspace(Math.sqrt(betaStart), Math.sqrt(betaEnd),
                                numTrainTimesteps);
                        for (int i = 0; i < b.length; i++) {
                            b[i] = b[i] * b[i];
                        }
                        s = NoiseSchedule.fromBetas(b, prediction);
                    }
                    break;
                case "squaredcos_cap_v2":
                    s = NoiseSchedule.cosine(numTrainTimesteps);
                    break;
                default:
                    throw new AssertionError(betaSchedule);
            }
        }
        return s.withPrediction(prediction);
    }

    /**
     * The timesteps this class's {@code set_timesteps(n)} gives, descending, exactly as diffusers
     * computes them (numpy's linspace and arange in doubles, {@code .round()} half to even, then
     * int64). DDPM and DDIM (identical code): linspace {@code round(linspace(0, T−1, n))} reversed;
     * leading {@code k·(T div n) + steps_offset}, k = n−1 … 0; trailing {@code round(arange(T, 0,
     * −T/n)) − 1}. DPM-Solver++: linspace {@code round(linspace(0, T−1, n+1))} reversed without its
     * last (0); leading {@code k·(T div (n+1)) + steps_offset}, k = n … 1; trailing as DDPM. Only
     * leading uses {@code steps_offset}. diffusers' quirks are kept: e.g. trailing with T = 1000 and
     * n = 61 gives 62 values ending in −1 (numpy's arange length rounds up), which a sampler refuses.
     */
    public int[] timesteps(int n) {
        int tTrain = numTrainTimesteps;
        if (n < 1) {
            throw new IllegalArgumentException(source + ": the number of inference steps must be at "
                    + "least 1, got " + n);
        }
        boolean dpm = className.equals(DPM_SOLVER);
        if (!dpm && n > tTrain) {
            throw new IllegalArgumentException(source + ": " + n + " inference steps cannot be more "
                    + "than num_train_timesteps (" + tTrain + ")");
        }
        switch (timestepSpacing) {
            case LINSPACE: {
                int m = dpm ? n + 1 : n;
                double[] v = numpyLinspace(0, tTrain - 1, m);
                int[] out = new int[n];
                for (int i = 0; i < n; i++) {
                    out[i] = (int) Math.rint(v[m - 1 - i]);
                }
                return out;
            }
            case LEADING: {
                int ratio = dpm ? tTrain / (n + 1) : tTrain / n;
                int[] out = new int[n];
                for (int i = 0; i < n; i++) {
                    int k = dpm ? n - i : n - 1 - i;
                    out[i] = k * ratio + stepsOffset;
                }
                return out;
            }
            case TRAILING: {
                double[] v = numpyArange(tTrain, 0, -((double) tTrain / n));
                int[] out = new int[v.length];
                for (int i = 0; i < v.length; i++) {
                    out[i] = (int) Math.rint(v[i]) - 1;
                }
                return out;
            }
            default:
                throw new AssertionError(timestepSpacing);
        }
    }

    /** ᾱ after DDIM's last step: 1 with {@code set_alpha_to_one}, else ᾱ_0 (scheduling_ddim.py). */
    public double finalAlphaCumprod(NoiseSchedule schedule) {
        return setAlphaToOne ? 1.0 : schedule.alphaBar(0);
    }

    /** numpy.linspace(start, stop, num) with endpoint: i·step + start, the last set to stop. */
    static double[] numpyLinspace(double start, double stop, int num) {
        double[] y = new double[num];
        int div = num - 1;
        double delta = stop - start;
        for (int i = 0; i < num; i++) {
            y[i] = div > 0 ? i * (delta / div) + start : i * delta + start;
        }
        if (num > 1) {
            y[num - 1] = stop;
        }
        return y;
    }

    /**
     * numpy.arange(start, stop, step) for doubles: length ceil((stop − start)/step), values
     * start + i·((start + step) − start), as numpy fills them.
     */
    static double[] numpyArange(double start, double stop, double step) {
        int len = (int) Math.max(0, Math.ceil((stop - start) / step));
        double[] out = new double[len];
        double delta = (start + step) - start;
        for (int i = 0; i < len; i++) {
            out[i] = i == 0 ? start : i == 1 ? start + step : start + i * delta;
        }
        return out;
    }

    // ---------------------------------------------------------------- writing

    /**
     * The config the studio writes beside a run's weights, as a {@code DDPMScheduler} whose meaning
     * survives the round trip: reading it back gives the identical {@link NoiseSchedule} (same betas,
     * bit for bit, and prediction), and the timesteps of the studio's sampler for the run.
     *
     * <ul>
     *   <li>schedule: {@code linear} → {@code linear}; {@code cosine} → {@code squaredcos_cap_v2}
     *       (the studio's cosine is diffusers' {@code betas_for_alpha_bar} with max_beta 0.999, the same
     *       formula in doubles); {@code quadratic} → {@code scaled_linear}: the studio's quadratic
     *       <em>is</em> linspace(√β_start, √β_end, T)², diffusers' scaled_linear formula, so it needs no
     *       {@code trained_betas} (they would be written only for a schedule diffusers cannot name).
     *   <li>{@code timestep_spacing} is written explicitly: {@code leading} for the studio's DDPM and
     *       DDIM (diffusers' default for both), {@code trailing} when the run samples with DPM-Solver++
     *       (the studio's default there; diffusers' DPMSolverMultistepScheduler defaults to
     *       {@code linspace}). One file serves every class read from it, so it follows the run's
     *       sampler. {@code steps_offset} 0 is written too (the studio has no offset).
     *   <li>{@code clip_sample} is the run's pixel space, with range 1; {@code variance_type}
     *       {@code fixed_small} (the studio's DDPM).
     * </ul>
     */
    public static SchedulerConfig forStudio(RunConfig.Diffusion d, String sampler,
            boolean pixelSpace) {
        return forStudio(d, sampler, pixelSpace, null);
    }

    /** {@link #forStudio(RunConfig.Diffusion, String, boolean)} with dynamic thresholding of x̂0 (null: none). */
    public static SchedulerConfig forStudio(RunConfig.Diffusion d, String sampler,
            boolean pixelSpace, Thresholding thresholding) {
        NoiseSchedule s = NoiseSchedule.fromConfig(d); // validates with the run config's field names
        // every studio schedule has a diffusers name (BetaSchedule.diffusersName): no trained_betas needed
        String betaSchedule = io.ldmstudio.config.BetaSchedule.parse(d.schedule(), "diffusion.schedule").diffusersName;
        double[] trained = null;
        boolean dpm = sampler != null && io.ldmstudio.config.SamplerKind.parse(sampler, "sampling.sampler")
                == io.ldmstudio.config.SamplerKind.DPMPP;
        TimestepSpacing spacing = dpm ? TimestepSpacing.TRAILING : TimestepSpacing.LEADING;
        SchedulerConfig c = new SchedulerConfig("scheduler_config.json", DDPM, d.timesteps(),
                betaSchedule, d.betaStart(), d.betaEnd(), trained, s.prediction(), spacing, 0, true,
                pixelSpace, 1.0, thresholding, "fixed_small", 2, true, false, "zero", null);
        return new SchedulerConfig(c.source, c.className, c.numTrainTimesteps, c.betaSchedule,
                c.betaStart, c.betaEnd, c.trainedBetas, c.prediction, c.timestepSpacing,
                c.stepsOffset, c.setAlphaToOne, c.clipSample, c.clipSampleRange, c.thresholding, c.varianceType,
                c.solverOrder, c.lowerOrderFinal, c.eulerAtFinal, c.finalSigmasType, c.toJson());
    }

    /** The keys of {@link #className()} with this config's values, as diffusers writes them. */
    public ObjectNode toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("_class_name", className);
        n.put("_diffusers_version", DIFFUSERS_VERSION);
        n.put("num_train_timesteps", numTrainTimesteps);
        n.put("beta_start", betaStart);
        n.put("beta_end", betaEnd);
        n.put("beta_schedule", betaSchedule);
        if (trainedBetas == null) {
            n.putNull("trained_betas");
        } else {
            ArrayNode a = n.putArray("trained_betas");
            for (double b : trainedBetas) {
                a.add(b);
            }
        }
        n.put("prediction_type", prediction.configName());
        n.put("timestep_spacing", timestepSpacing.name().toLowerCase(Locale.ROOT));
        n.put("steps_offset", stepsOffset);
        n.put("thresholding", thresholding != null);
        n.put("dynamic_thresholding_ratio", thresholding != null ? thresholding.ratio() : Thresholding.DEFAULT_RATIO);
        n.put("sample_max_value", thresholding != null ? thresholding.maxValue() : Thresholding.DEFAULT_MAX_VALUE);
        n.put("rescale_betas_zero_snr", false);
        switch (className) {
            case DDPM:
                n.put("variance_type", varianceType);
                n.put("clip_sample", clipSample);
                n.put("clip_sample_range", clipSampleRange);
                break;
            case DDIM:
                n.put("set_alpha_to_one", setAlphaToOne);
                n.put("clip_sample", clipSample);
                n.put("clip_sample_range", clipSampleRange);
                break;
            default:
                n.put("algorithm_type", "dpmsolver++");
                n.put("solver_order", solverOrder);
                n.put("solver_type", "midpoint");
                n.put("lower_order_final", lowerOrderFinal);
                n.put("euler_at_final", eulerAtFinal);
                n.put("final_sigmas_type", finalSigmasType);
        }
        return n;
    }

    /** Pretty JSON text of {@link #toJson()}. */
    public String toJsonString() {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---------------------------------------------------------------- key access

    private static Set<String> union(Set<String> a, String... more) {
        Set<String> s = new HashSet<>(a);
        s.addAll(List.of(more));
        return Set.copyOf(s);
    }

    /** The keys a class reads, without {@code _use_default_values} ones, with typed access. */
    private static final class Keys {
        private final ObjectNode node;
        private final String source;
        private final Set<String> known;
        private final Set<String> usedDefaults = new HashSet<>();

        Keys(ObjectNode node, String source, Set<String> known) {
            this.node = node;
            this.source = source;
            this.known = known;
            JsonNode u = node.get("_use_default_values");
            if (u != null && u.isArray()) {
                u.forEach(e -> usedDefaults.add(e.asText()));
            }
        }

        /** The value, or null if the class does not read the key or the file does not give it. */
        JsonNode get(String key) {
            if (!known.contains(key) || usedDefaults.contains(key)) {
                return null;
            }
            return node.get(key);
        }

        IllegalArgumentException bad(String key, Object value, String expected) {
            String shown = value instanceof String ? "'" + value + "'" : String.valueOf(value);
            return new IllegalArgumentException(source + ": " + key + " " + shown
                    + " is not supported (expected " + expected + ")");
        }

        int integer(String key, int def) {
            JsonNode v = get(key);
            if (v == null) {
                return def;
            }
            if (v.isNumber() && v.canConvertToExactIntegral() && v.canConvertToInt()) {
                return v.asInt();
            }
            throw bad(key, v.isTextual() ? v.asText() : v, "an integer");
        }

        double number(String key, double def) {
            JsonNode v = get(key);
            if (v == null) {
                return def;
            }
            if (v.isNumber()) {
                return v.asDouble();
            }
            throw bad(key, v.isTextual() ? v.asText() : v, "a number");
        }

        boolean bool(String key, boolean def) {
            JsonNode v = get(key);
            if (v == null) {
                return def;
            }
            if (v.isBoolean()) {
                return v.asBoolean();
            }
            throw bad(key, v.isTextual() ? v.asText() : v, "true or false");
        }

        String string(String key, String def) {
            JsonNode v = get(key);
            if (v == null || (def == null && v.isNull())) {
                return def;
            }
            if (v.isTextual()) {
                return v.asText();
            }
            throw bad(key, v, "a string");
        }

        void requireFalse(String key) {
            if (bool(key, false)) {
                throw bad(key, true, "false");
            }
        }

        double[] betas(String key, int tTrain) {
            JsonNode v = get(key);
            if (v == null || v.isNull()) {
                return null;
            }
            if (!v.isArray() || v.size() != tTrain) {
                throw bad(key, v.isArray() ? "an array of " + v.size() : v.getNodeType(),
                        "an array of num_train_timesteps = " + tTrain + " numbers in (0, 1)");
            }
            double[] b = new double[tTrain];
            for (int i = 0; i < tTrain; i++) {
                JsonNode e = v.get(i);
                if (!e.isNumber() || !(e.asDouble() > 0 && e.asDouble() < 1)) {
                    throw new IllegalArgumentException(source + ": " + key + "[" + i + "] " + e
                            + " is not supported (expected a number in (0, 1))");
                }
                b[i] = e.asDouble();
            }
            return b;
        }
    }
}
