namespace Transport.Interop.Matrix;

/// <summary>An implementation that can take either role in a matrix cell.</summary>
public enum MatrixImplementation
{
    /// <summary>This project's endpoint (Transport.Interop with ROLE/TESTCASE, run as a child process).</summary>
    Ours,
    /// <summary>Debian's ngtcp2 0.12 (gtlsclient/gtlsserver, HTTP/3 only).</summary>
    Ngtcp2,
    /// <summary>msquic through System.Net.Quic (hq-interop), where libmsquic is installed.</summary>
    Msquic,
}
