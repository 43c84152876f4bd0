package io.ldmstudio.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The layering rules of DESIGN.md, checked on the compiled classes. */
class ArchitectureTest {
    static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.ldmstudio");
    }

    @Test
    void onlyTheUiUsesJavaFx() {
        noClasses().that().resideOutsideOfPackage("io.ldmstudio.ui..")
                .should().dependOnClassesThat().resideInAPackage("javafx..").check(classes);
    }

    @Test
    void onlyTheCliPrints() {
        noClasses().that().resideOutsideOfPackages("io.ldmstudio.cli..")
                .should().accessField(System.class, "out")
                .orShould().accessField(System.class, "err")
                .orShould().callMethod(Throwable.class, "printStackTrace").check(classes);
    }

    @Test
    void diffusionAndNnKnowNothingOfRunsFilesOrUi() {
        noClasses().that().resideInAnyPackage("io.ldmstudio.diffusion..", "io.ldmstudio.nn..")
                .should().dependOnClassesThat().resideInAnyPackage("io.ldmstudio.runs..", "io.ldmstudio.ui..",
                        "io.ldmstudio.cli..", "io.ldmstudio.service..", "io.ldmstudio.training..", "java.nio.file..",
                        "java.io..")
                .check(classes);
    }

    @Test
    void servicesDoNotReachIntoTheCliOrUi() {
        noClasses().that().resideOutsideOfPackages("io.ldmstudio.cli..", "io.ldmstudio.ui..", "io.ldmstudio")
                .should().dependOnClassesThat().resideInAnyPackage("io.ldmstudio.cli..", "io.ldmstudio.ui..")
                .check(classes);
    }

    @Test
    void theUiDrivesTheEngineOnlyThroughServices() {
        noClasses().that().resideInAPackage("io.ldmstudio.ui..")
                .should().dependOnClassesThat().resideInAnyPackage("ai.djl..", "io.ldmstudio.nn..")
                .check(classes);
    }

    /** No two packages import each other, directly or round a loop (ui's panes count as one package). */
    @Test
    void packagesAreFreeOfCycles() {
        slices().matching("io.ldmstudio.(*)..").should().beFreeOfCycles().check(classes);
    }

    /**
     * The layers, top to bottom: ui/cli → service → training → pipeline → the core packages → config/util.
     * A layer may use any layer below it, never one above. (DESIGN.md puts pipeline above training; training
     * uses the pipeline instead, as diffusers' training scripts do: its sample grids are the pipeline's
     * {@code generate} and its export is the pipeline's {@code save}, with nothing injected from above.)
     */
    @Test
    void layersOnlyPointDown() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("Front").definedBy("io.ldmstudio.ui..", "io.ldmstudio.cli..")
                .layer("Service").definedBy("io.ldmstudio.service..")
                .layer("Training").definedBy("io.ldmstudio.training..")
                .layer("Pipeline").definedBy("io.ldmstudio.pipeline..")
                .layer("Core").definedBy("io.ldmstudio.diffusion..", "io.ldmstudio.nn..", "io.ldmstudio.data..",
                        "io.ldmstudio.eval..", "io.ldmstudio.weights..", "io.ldmstudio.runs..", "io.ldmstudio.engine..")
                .layer("Base").definedBy("io.ldmstudio.config..", "io.ldmstudio.util..")
                .whereLayer("Front").mayNotBeAccessedByAnyLayer()
                .whereLayer("Service").mayOnlyBeAccessedByLayers("Front")
                .whereLayer("Training").mayOnlyBeAccessedByLayers("Service", "Front")
                .whereLayer("Pipeline").mayOnlyBeAccessedByLayers("Training", "Service", "Front")
                .whereLayer("Core").mayOnlyBeAccessedByLayers("Training", "Pipeline", "Service", "Front")
                .whereLayer("Base").mayOnlyBeAccessedByLayers("Core", "Training", "Pipeline", "Service", "Front")
                .check(classes);
    }

    /**
     * Weight files know their formats, not where a run keeps them: what a run folder stands for (its
     * exported autoencoder or newest checkpoint) is decided above, in {@code pipeline.Autoencoders}.
     */
    @Test
    void weightsKnowNothingOfRuns() {
        noClasses().that().resideInAPackage("io.ldmstudio.weights..")
                .should().dependOnClassesThat().resideInAPackage("io.ldmstudio.runs..")
                .check(classes);
    }

    /** The checkpoint folder's file names belong to runs (the folder layout), not to the trainer. */
    @Test
    void checkpointFileNamesLiveInRuns() {
        com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noFields()
                .that().haveNameMatching("(MODEL|EMA|OPTIMIZER)_FILE")
                .should().beDeclaredInClassesThat().resideOutsideOfPackage("io.ldmstudio.runs..")
                .check(classes);
    }
}
