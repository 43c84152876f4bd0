package io.ldmstudio.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

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
}
