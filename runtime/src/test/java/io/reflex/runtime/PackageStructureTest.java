package io.reflex.runtime;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The module's layering (docs/ARCHITECTURE.md): no package cycle. From the bottom: check, time and agent; frontend;
 * pipeline (with its input SPI, SampleSource); source, journal, lsl, stim, xdf; config (the config tree, the
 * decoder catalog it checks names against); session on top (Sources, the sessions, the offline tools).
 */
class PackageStructureTest {
    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.reflex.runtime");

    @Test
    void noPackageCycle() {
        // each package under io.reflex.runtime is a slice ("runtime.config", "runtime.pipeline", ...)
        slices().matching("io.reflex.(**)").should().beFreeOfCycles().check(CLASSES);
    }
}
