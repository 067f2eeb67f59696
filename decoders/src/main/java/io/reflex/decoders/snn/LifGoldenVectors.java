package io.reflex.decoders.snn;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Golden vectors of the LIF core for the HDL team: random networks, input spikes and the golden model's spikes,
 * V, I and refractory counters after every tick. The file format (decoders/SNN.md, "Golden vectors") is all
 * little-endian 32-bit words after an 8-byte magic; each case carries the network as the {@code snn_kernel}
 * network buffer ({@code "SNN1"} layout of hdl/rtl/snn/snn_core.v), so a testbench can load it unchanged.
 *
 * <p>Command line: {@code java -cp decoders/target/classes io.reflex.decoders.snn.LifGoldenVectors OUT [cases]
 * [seed] [ticks]}.
 */
public final class LifGoldenVectors {
    /** File magic, 8 ASCII bytes. */
    public static final String FILE_MAGIC = "RLIFGV01";
    /** Magic word of a network buffer ("SNN1" as little-endian bytes). */
    public static final int NET_MAGIC = 0x314E4E53;
    /** Header words of a network buffer. */
    public static final int NET_HEADER_WORDS = 16;

    /** One case: the network, the inputs and the expected trace. */
    public record Case(LifParams params, SynapseMatrix synapses, int[] bias, int ticks, boolean[][] inputs,
                       boolean[][] spikes, int[][] v, int[][] i, int[][] ref) {
    }

    private LifGoldenVectors() {
    }

    /** The snn_kernel network buffer of a population's parameters and connectivity. */
    public static int[] networkBuffer(LifParams p, SynapseMatrix s, int[] bias) {
        int n = s.neuronCount();
        int nnz = s.synapseCount();
        if (n + s.inputCount() > 65536) {
            throw new IllegalArgumentException("network buffer needs N + M <= 65536 (16-bit columns), got "
                + (n + s.inputCount()));
        }
        int[] img = new int[NET_HEADER_WORDS + n + 1 + nnz + n];
        img[0] = NET_MAGIC;
        img[1] = n;
        img[2] = s.inputCount();
        img[3] = nnz;
        img[4] = p.kSyn();
        img[5] = p.kMem();
        img[6] = p.thetaV();
        img[7] = p.vRest();
        img[8] = p.vReset();
        img[9] = p.tRefTicks();
        img[10] = p.resetMode() == ResetMode.SUBTRACT ? 0 : 1;
        int o = NET_HEADER_WORDS;
        for (int r = 0; r <= n; r++) {
            img[o++] = r == n ? nnz : s.rowStart(r);
        }
        for (int e = 0; e < nnz; e++) {
            img[o++] = (s.col(e) << 16) | (s.weight(e) & 0xFFFF);
        }
        for (int r = 0; r < n; r++) {
            img[o++] = bias[r];
        }
        return img;
    }

    /**
     * Runs the golden model on {@code inputs} and records the trace.
     *
     * @param inputs {@code [tick][channel]} input spikes
     */
    public static Case run(LifParams p, SynapseMatrix s, int[] bias, boolean[][] inputs) {
        LifPopulation pop = new LifPopulation(p, s.copy(), bias, null);
        int n = s.neuronCount();
        int ticks = inputs.length;
        boolean[][] spikes = new boolean[ticks][n];
        int[][] v = new int[ticks][n];
        int[][] cur = new int[ticks][n];
        int[][] ref = new int[ticks][n];
        for (int t = 0; t < ticks; t++) {
            pop.tickDense(inputs[t]);
            for (int j = 0; j < n; j++) {
                spikes[t][j] = pop.spiked(j);
                v[t][j] = pop.membrane(j);
                cur[t][j] = pop.current(j);
                ref[t][j] = pop.refractory(j);
            }
        }
        return new Case(p, s, bias.clone(), ticks, inputs, spikes, v, cur, ref);
    }

    /**
     * Random cases covering the corners of §7: both reset modes, {@code k} from 0 to 31, refractory periods 0–5,
     * negative and positive V_rest/V_reset, weights and biases large enough to saturate I and V, duplicate-free
     * CSR with recurrent and input synapses, N up to {@code maxNeurons}, M up to 40 (two input words). Case 0 is a
     * single neuron under constant bias (the analytic case of LifPopulationTest), case 1 a saturation case.
     */
    public static List<Case> randomCases(int cases, long seed, int maxNeurons, int ticks) {
        SplitMix64 rng = new SplitMix64(seed);
        List<Case> out = new ArrayList<>();
        for (int c = 0; c < cases; c++) {
            LifParams p;
            NetworkGenerator.Network net;
            double inputRate;
            if (c == 0) {
                p = new LifParams().kSyn(0).kMem(4).thetaV(1 << 16).vRest(0).vReset(0).tRefTicks(2)
                    .resetMode(ResetMode.ZERO);
                net = new NetworkGenerator().neuronCount(1).inputCount(0).recurrentFanIn(0).inputFanIn(0)
                    .biases(9000, 9000).seed(seed).generate();
                inputRate = 0;
            } else if (c == 1) {
                p = new LifParams().kSyn(31).kMem(31).thetaV(Integer.MAX_VALUE).vRest(0).vReset(Integer.MIN_VALUE)
                    .tRefTicks(0).resetMode(ResetMode.SUBTRACT);
                net = new NetworkGenerator().neuronCount(8).inputCount(8).recurrentFanIn(7).inputFanIn(8)
                    .recurrentWeights(Short.MIN_VALUE, Short.MAX_VALUE).inputWeights(Short.MIN_VALUE, Short.MAX_VALUE)
                    .biases(-(1 << 28), 1 << 28).seed(rng.nextLong()).generate();
                inputRate = 0.5;
            } else {
                int n = rng.nextInt(1, maxNeurons);
                int m = rng.nextInt(0, 40);
                int theta = rng.nextInt(1, 1 << 20);
                int vReset = rng.nextInt(-(1 << 16), theta - 1);
                p = new LifParams().kSyn(pickShift(rng)).kMem(pickShift(rng)).thetaV(theta)
                    .vRest(rng.nextInt(-(1 << 16), 1 << 16)).vReset(vReset).tRefTicks(rng.nextInt(0, 5))
                    .resetMode(rng.nextInt(0, 1) == 0 ? ResetMode.SUBTRACT : ResetMode.ZERO);
                int wMax = rng.nextInt(1, Short.MAX_VALUE);
                net = new NetworkGenerator().neuronCount(n).inputCount(m)
                    .recurrentFanIn(Math.min(n - 1, rng.nextInt(0, 24))).inputFanIn(Math.min(m, rng.nextInt(0, 8)))
                    .recurrentWeights(-wMax, wMax).inputWeights(rng.nextInt(-wMax, 0), wMax)
                    .biases(-(theta >> 3), theta >> 2).seed(rng.nextLong()).generate();
                inputRate = rng.nextInt(1, 50) / 100.0;
            }
            int m = net.synapses().inputCount();
            boolean[][] inputs = new boolean[ticks][m];
            long threshold = (long) (inputRate * 9007199254740992.0);
            for (int t = 0; t < ticks; t++) {
                for (int k = 0; k < m; k++) {
                    inputs[t][k] = rng.next53() < threshold;
                }
            }
            out.add(run(p.conclude(), net.synapses(), net.bias(), inputs));
        }
        return out;
    }

    private static int pickShift(SplitMix64 rng) {
        int r = rng.nextInt(0, 9);
        return r == 0 ? 0 : r == 1 ? 31 : rng.nextInt(1, 8);
    }

    /** Writes {@code cases} in the format of decoders/SNN.md. */
    public static void write(OutputStream os, List<Case> cases) throws IOException {
        ByteBuffer word = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        os.write(FILE_MAGIC.getBytes(StandardCharsets.US_ASCII));
        writeWord(os, word, 1);
        writeWord(os, word, cases.size());
        for (Case c : cases) {
            int[] net = networkBuffer(c.params(), c.synapses(), c.bias());
            int n = c.synapses().neuronCount();
            int m = c.synapses().inputCount();
            writeWord(os, word, net.length);
            for (int x : net) {
                writeWord(os, word, x);
            }
            writeWord(os, word, c.ticks());
            for (int t = 0; t < c.ticks(); t++) {
                writeBits(os, word, c.inputs()[t], m);
                writeBits(os, word, c.spikes()[t], n);
                for (int j = 0; j < n; j++) {
                    writeWord(os, word, c.v()[t][j]);
                }
                for (int j = 0; j < n; j++) {
                    writeWord(os, word, c.i()[t][j]);
                }
                for (int j = 0; j < n; j++) {
                    writeWord(os, word, c.ref()[t][j]);
                }
            }
        }
    }

    private static void writeBits(OutputStream os, ByteBuffer word, boolean[] bits, int count) throws IOException {
        for (int w = 0; w < (count + 31) / 32; w++) {
            int x = 0;
            for (int b = 0; b < 32 && w * 32 + b < count; b++) {
                if (bits[w * 32 + b]) {
                    x |= 1 << b;
                }
            }
            writeWord(os, word, x);
        }
    }

    private static void writeWord(OutputStream os, ByteBuffer word, int x) throws IOException {
        word.clear();
        word.putInt(x);
        os.write(word.array());
    }

    /** Reads a file written by {@link #write}; used by the tests and by Java-side testbenches. */
    public static List<Case> read(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[8];
        b.get(magic);
        if (!FILE_MAGIC.equals(new String(magic, StandardCharsets.US_ASCII))) {
            throw new IOException(file + ": not a LIF golden-vector file (magic " + FILE_MAGIC + " expected)");
        }
        int version = b.getInt();
        if (version != 1) {
            throw new IOException(file + ": unknown golden-vector version " + version);
        }
        int count = b.getInt();
        List<Case> cases = new ArrayList<>();
        for (int c = 0; c < count; c++) {
            int[] net = new int[b.getInt()];
            for (int k = 0; k < net.length; k++) {
                net[k] = b.getInt();
            }
            if (net[0] != NET_MAGIC) {
                throw new IOException(file + ": case " + c + " has no SNN1 network buffer");
            }
            int n = net[1];
            int m = net[2];
            int nnz = net[3];
            LifParams p = new LifParams().kSyn(net[4]).kMem(net[5]).thetaV(net[6]).vRest(net[7]).vReset(net[8])
                .tRefTicks(net[9]).resetMode(net[10] == 0 ? ResetMode.SUBTRACT : ResetMode.ZERO).conclude();
            int o = NET_HEADER_WORDS;
            int[] rowPtr = new int[n + 1];
            for (int r = 0; r <= n; r++) {
                rowPtr[r] = net[o++];
            }
            int[] col = new int[nnz];
            short[] w = new short[nnz];
            for (int e = 0; e < nnz; e++) {
                col[e] = net[o] >>> 16;
                w[e] = (short) net[o++];
            }
            int[] bias = new int[n];
            for (int r = 0; r < n; r++) {
                bias[r] = net[o++];
            }
            int ticks = b.getInt();
            boolean[][] in = new boolean[ticks][m];
            boolean[][] sp = new boolean[ticks][n];
            int[][] v = new int[ticks][n];
            int[][] cur = new int[ticks][n];
            int[][] ref = new int[ticks][n];
            for (int t = 0; t < ticks; t++) {
                readBits(b, in[t], m);
                readBits(b, sp[t], n);
                for (int j = 0; j < n; j++) {
                    v[t][j] = b.getInt();
                }
                for (int j = 0; j < n; j++) {
                    cur[t][j] = b.getInt();
                }
                for (int j = 0; j < n; j++) {
                    ref[t][j] = b.getInt();
                }
            }
            cases.add(new Case(p, new SynapseMatrix(n, m, rowPtr, col, w), bias, ticks, in, sp, v, cur, ref));
        }
        return cases;
    }

    private static void readBits(ByteBuffer b, boolean[] bits, int count) {
        for (int w = 0; w < (count + 31) / 32; w++) {
            int x = b.getInt();
            for (int k = 0; k < 32 && w * 32 + k < count; k++) {
                bits[w * 32 + k] = (x >>> k & 1) != 0;
            }
        }
    }

    /** {@code OUT [cases=64] [seed=1] [ticks=200]}: writes random cases (N ≤ 64) to OUT. */
    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: LifGoldenVectors OUT [cases=64] [seed=1] [ticks=200]");
            System.exit(2);
        }
        int cases = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        long seed = args.length > 2 ? Long.parseLong(args[2]) : 1;
        int ticks = args.length > 3 ? Integer.parseInt(args[3]) : 200;
        List<Case> list = randomCases(cases, seed, 64, ticks);
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(Path.of(args[0])))) {
            write(os, list);
        }
        System.out.println("wrote " + list.size() + " LIF golden-vector cases (" + ticks + " ticks each) to " + args[0]);
    }
}
