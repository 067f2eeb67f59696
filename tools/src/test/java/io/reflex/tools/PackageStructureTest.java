package io.reflex.tools;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The module's shape (docs/ARCHITECTURE.md): no package cycle; the CLI sits on top, nothing depends on it. */
class PackageStructureTest {
    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.reflex.tools");

    @Test
    void noPackageCycle() {
        // the root package is a slice of its own ("tools"), each package under it another
        slices().matching("io.reflex.(**)").should().beFreeOfCycles().check(CLASSES);
    }
}
