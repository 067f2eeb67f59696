package io.reflex.lsl;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The library's shape: no package cycle, nothing of the rest of Reflex, JNA only in the binding. */
class PackageStructureTest {
    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.reflex.lsl");

    @Test
    void noPackageCycle() {
        slices().matching("io.reflex.(**)").should().beFreeOfCycles().check(CLASSES);
    }

    @Test
    void nothingOfTheRestOfReflex() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("io.reflex.runtime..", "io.reflex.decoders..",
                "io.reflex.stim..", "io.reflex.fpga..", "io.reflex.tools..").check(CLASSES);
    }

    @Test
    void jnaOnlyInTheBinding() {
        noClasses().that().resideOutsideOfPackage("io.reflex.lsl.nativelsl..").should().dependOnClassesThat()
                .resideInAPackage("com.sun.jna..").check(CLASSES);
    }
}
