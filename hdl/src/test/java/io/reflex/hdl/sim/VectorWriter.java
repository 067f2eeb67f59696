package io.reflex.hdl.sim;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes the vector-file commands read by hdl/tb/common/tb_main.cpp. */
public final class VectorWriter implements AutoCloseable {
    private final BufferedWriter out;

    /** Opens (truncates) a vector file. */
    public VectorWriter(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        out = Files.newBufferedWriter(file, StandardCharsets.US_ASCII);
    }

    /** Starts a case. */
    public VectorWriter begin(String name) {
        return line("case " + name);
    }

    /** Writes words at a byte address of card memory. */
    public VectorWriter mem(long addr, int[] words) {
        return words("mem", addr, words);
    }

    /** Fills n words with a poison pattern. */
    public VectorWriter poison(long addr, int n) {
        return line("poison " + Long.toHexString(addr) + " " + Integer.toHexString(n));
    }

    /** Writes the 64-bit argument register of argument index. */
    public VectorWriter arg(int index, long value) {
        return line("arg " + index + " " + Long.toHexString(value));
    }

    /** Starts the kernel and waits for ap_done. */
    public VectorWriter run(String label) {
        return line("run " + label);
    }

    /** Expects words at a byte address after the last run. */
    public VectorWriter expect(long addr, int[] words) {
        return words("expect", addr, words);
    }

    /** Expects a register value. */
    public VectorWriter reg(int offset, int value) {
        return line("reg " + Integer.toHexString(offset) + " " + Integer.toHexString(value));
    }

    private VectorWriter words(String cmd, long addr, int[] words) {
        StringBuilder sb = new StringBuilder(16 + words.length * 9);
        sb.append(cmd).append(' ').append(Long.toHexString(addr)).append(' ').append(Integer.toHexString(words.length));
        for (int w : words) {
            sb.append(' ').append(Integer.toHexString(w));
        }
        return line(sb.toString());
    }

    private VectorWriter line(String s) {
        try {
            out.write(s);
            out.write('\n');
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
