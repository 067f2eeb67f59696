package io.reflex.fpga;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The module's shape (docs/ARCHITECTURE.md): no package cycle, decoders only below it. */
class PackageStructureTest {
    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.reflex.fpga");

    @Test
    void noPackageCycle() {
        // the root package is a slice of its own ("fpga"), each package under it another
        slices().matching("io.reflex.(**)").should().beFreeOfCycles().check(CLASSES);
    }

    @Test
    void dependsOnlyOnTheModulesBelowIt() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("io.reflex.stim..", "io.reflex.gpu..", "io.reflex.lsl..", "io.reflex.runtime..", "io.reflex.tools..").check(CLASSES);
    }
}
