package io.reflex.fpga.xclbin;

import java.io.IOException;

/**
 * A file is not a usable xclbin: foreign, truncated, corrupt or too large. The message names the file, what is wrong
 * and where (the byte offset or the section).
 */
public class XclbinFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public XclbinFormatException(String message) {
        super(message);
    }

    public XclbinFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
