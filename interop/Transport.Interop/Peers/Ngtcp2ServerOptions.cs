using System.Net;

namespace Transport.Interop.Peers;

/// <summary>
/// How to run gtlsserver (ngtcp2's HTTP/3 example server). Each property maps to one command-line flag, named in its
/// comment; null or false leaves the program's default. The server accepts resumption and 0-RTT by default (no flag).
/// </summary>
public sealed class Ngtcp2ServerOptions
{
    /// <summary>Address to listen on: 127.0.0.1 (default) or ::1 (positional ADDR).</summary>
    public IPAddress Address { get; set; } = IPAddress.Loopback;

    /// <summary>UDP port; 0 (default) picks a free one (positional PORT).</summary>
    public int Port { get; set; }

    /// <summary>The files to serve (<c>-d</c>). Required.</summary>
    public string WebRoot { get; set; } = "";

    /// <summary>The certificate chain PEM, leaf first (positional CERTIFICATE_FILE). Required.</summary>
    public string CertificatePath { get; set; } = "";

    /// <summary>The private key PEM (positional PRIVATE_KEY_FILE). Required.</summary>
    public string PrivateKeyPath { get; set; } = "";

    /// <summary>Directory for stdout/stderr (server.out, server.err) and, by default, keys.log. Required.</summary>
    public string RunDirectory { get; set; } = "";

    /// <summary>Send a Retry to every new connection (<c>-V</c>, <c>--validate-addr</c>).</summary>
    public bool ValidateAddress { get; set; }

    /// <summary>Ask the client for a certificate (<c>--verify-client</c>; 0.12 requests one but does not verify it).</summary>
    public bool RequestClientCertificate { get; set; }

    /// <summary>GnuTLS priority string (<c>--ciphers</c>), e.g. <see cref="Ngtcp2.ChaCha20Only"/>.</summary>
    public string? Ciphers { get; set; }

    /// <summary>GnuTLS groups (<c>--groups</c>), e.g. <see cref="Ngtcp2.Secp256r1Only"/>.</summary>
    public string? Groups { get; set; }

    /// <summary>
    /// Suppress the debug log (<c>-q</c>). Default true: the verbose log is large (about 0.4 KB per packet) but is
    /// the only evidence of 0-RTT, Retry and key phases; when false, <c>--no-quic-dump --no-http-dump</c> are passed.
    /// </summary>
    public bool Quiet { get; set; } = true;

    /// <summary>
    /// SSLKEYLOGFILE for the process (GnuTLS writes NSS key log lines). Null (default) writes keys.log in
    /// <see cref="RunDirectory"/>; empty disables.
    /// </summary>
    public string? KeyLogFile { get; set; }

    /// <summary>qlog output directory (<c>--qlog-dir</c>).</summary>
    public string? QlogDirectory { get; set; }

    /// <summary>Idle timeout (<c>--timeout</c>, default 30 s).</summary>
    public TimeSpan? IdleTimeout { get; set; }

    /// <summary>Handshake timeout (<c>--handshake-timeout</c>, default 10 s).</summary>
    public TimeSpan? HandshakeTimeout { get; set; }

    /// <summary>Initial RTT (<c>--initial-rtt</c>, default 333 ms).</summary>
    public TimeSpan? InitialRtt { get; set; }

    /// <summary>initial_max_streams_bidi (<c>--max-streams-bidi</c>, default 100).</summary>
    public int? MaxStreamsBidi { get; set; }

    /// <summary>initial_max_data (<c>--max-data</c>, default 1M).</summary>
    public long? MaxData { get; set; }

    /// <summary>preferred_address IPv4 part (<c>--preferred-ipv4-addr</c>), for connectionmigration.</summary>
    public IPEndPoint? PreferredIPv4Address { get; set; }

    /// <summary>preferred_address IPv6 part (<c>--preferred-ipv6-addr</c>), for connectionmigration.</summary>
    public IPEndPoint? PreferredIPv6Address { get; set; }

    /// <summary>Versions in order of preference (<c>--preferred-versions</c>), e.g. "v1" or "v2draft".</summary>
    public string? PreferredVersions { get; set; }

    /// <summary>Disable path MTU discovery (<c>--no-pmtud</c>).</summary>
    public bool NoPmtud { get; set; }

    /// <summary>Congestion controller (<c>--cc</c>): cubic, reno, bbr or bbr2.</summary>
    public string? CongestionController { get; set; }

    /// <summary>Extra arguments, appended verbatim.</summary>
    public IList<string> ExtraArguments { get; } = new List<string>();

    /// <summary>
    /// A watchdog: the server is killed this long after it started even if never disposed (default 10 minutes), so
    /// that a forgotten server cannot outlive its test run by much; coreutils <c>timeout</c> enforces it (plus 5 s)
    /// even if the test host itself dies.
    /// </summary>
    public TimeSpan MaxLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long to wait for the server to answer the Version Negotiation probe (default 5 s).</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
