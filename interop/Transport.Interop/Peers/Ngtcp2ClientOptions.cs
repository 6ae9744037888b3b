namespace Transport.Interop.Peers;

/// <summary>
/// How to run gtlsclient (ngtcp2's HTTP/3 example client): <c>gtlsclient [flags] HOST PORT URL...</c>. Each property
/// maps to one flag, named in its comment; null or false leaves the program's default. All URLs go over one
/// connection, in parallel.
/// </summary>
public sealed class Ngtcp2ClientOptions
{
    /// <summary>
    /// The address to connect to (positional HOST): an IP literal ("127.0.0.1", "::1"; the SNI is then "localhost") or
    /// a resolvable name (then also the SNI). Required.
    /// </summary>
    public string Host { get; set; } = "";

    /// <summary>The server's UDP port (positional PORT). Required.</summary>
    public int Port { get; set; }

    /// <summary>
    /// The URLs to fetch (positional URI...). Only their path and authority are used (the authority becomes
    /// :authority; the connection goes to <see cref="Host"/>), so interop-style "https://server4:443/name" works.
    /// </summary>
    public IList<string> Urls { get; private set; } = new List<string>();

    /// <summary>Where downloaded files go (<c>--download</c>), named after the last path segment. Required.</summary>
    public string DownloadDirectory { get; set; } = "";

    /// <summary>Directory for stdout/stderr (client.out, client.err) and, by default, keys.log. Required.</summary>
    public string RunDirectory { get; set; } = "";

    /// <summary>
    /// Prefix for the output file names in <see cref="RunDirectory"/> (default "client"), so that several runs
    /// (resumption's two connections) can share a directory.
    /// </summary>
    public string RunName { get; set; } = "client";

    /// <summary>
    /// Exit once every request stream is closed (<c>--exit-on-all-streams-close</c>). Default true; without it the
    /// client idles until the idle timeout.
    /// </summary>
    public bool ExitOnAllStreamsClose { get; set; } = true;

    /// <summary>
    /// Suppress the debug log (<c>-q</c>). Default true. When false, <c>--no-quic-dump --no-http-dump</c> are passed and
    /// the log (stderr) can be read with <see cref="Ngtcp2Log"/> for evidence of 0-RTT, Retry and key updates.
    /// </summary>
    public bool Quiet { get; set; } = true;

    /// <summary>
    /// SSLKEYLOGFILE for the process. Null (default) writes "RunName.keys.log" in <see cref="RunDirectory"/>; empty
    /// disables.
    /// </summary>
    public string? KeyLogFile { get; set; }

    /// <summary>GnuTLS priority string (<c>--ciphers</c>), e.g. <see cref="Ngtcp2.ChaCha20Only"/>.</summary>
    public string? Ciphers { get; set; }

    /// <summary>GnuTLS groups (<c>--groups</c>).</summary>
    public string? Groups { get; set; }

    /// <summary>
    /// SNI override (<c>--sni</c>). Debian 0.12's GnuTLS client accepts the flag but ignores it (seen in the captured
    /// ClientHello): the SNI is <see cref="Host"/> when that is a name, and "localhost" when it is an IP literal.
    /// </summary>
    public string? Sni { get; set; }

    /// <summary>TLS session file (<c>--session-file</c>): written after a run, read (resumed) by the next run.</summary>
    public string? SessionFile { get; set; }

    /// <summary>Transport parameter file (<c>--tp-file</c>): needed with the session file for 0-RTT.</summary>
    public string? TransportParametersFile { get; set; }

    /// <summary>NEW_TOKEN token file (<c>--token-file</c>).</summary>
    public string? TokenFile { get; set; }

    /// <summary>Client certificate PEM (<c>--cert</c>), used with <see cref="ClientPrivateKeyPath"/>.</summary>
    public string? ClientCertificatePath { get; set; }

    /// <summary>Client private key PEM (<c>--key</c>).</summary>
    public string? ClientPrivateKeyPath { get; set; }

    /// <summary>Resume without 0-RTT (<c>--disable-early-data</c>).</summary>
    public bool DisableEarlyData { get; set; }

    /// <summary>Initiate a key update this long after the handshake completes (<c>--key-update</c>).</summary>
    public TimeSpan? KeyUpdateAfter { get; set; }

    /// <summary>Delay 1-RTT STREAM data this long after the handshake (<c>--delay-stream</c>).</summary>
    public TimeSpan? DelayStream { get; set; }

    /// <summary>Change the local address this long after the handshake (<c>--change-local-addr</c>).</summary>
    public TimeSpan? ChangeLocalAddressAfter { get; set; }

    /// <summary>With <see cref="ChangeLocalAddressAfter"/>: rebind without path validation (<c>--nat-rebinding</c>).</summary>
    public bool NatRebinding { get; set; }

    /// <summary>Ignore the server's preferred_address (<c>--no-preferred-addr</c>).</summary>
    public bool NoPreferredAddress { get; set; }

    /// <summary>Initial QUIC version (<c>-v</c>): hex "0x00000001", "v1" or "v2draft".</summary>
    public string? Version { get; set; }

    /// <summary>Versions the client accepts after Version Negotiation (<c>--preferred-versions</c>).</summary>
    public string? PreferredVersions { get; set; }

    /// <summary>Other versions in version_information (<c>--other-versions</c>).</summary>
    public string? OtherVersions { get; set; }

    /// <summary>Idle timeout (<c>--timeout</c>, default 30 s).</summary>
    public TimeSpan? IdleTimeout { get; set; }

    /// <summary>Handshake timeout (<c>--handshake-timeout</c>, default 10 s).</summary>
    public TimeSpan? HandshakeTimeout { get; set; }

    /// <summary>Initial RTT (<c>--initial-rtt</c>, default 333 ms).</summary>
    public TimeSpan? InitialRtt { get; set; }

    /// <summary>Disable path MTU discovery (<c>--no-pmtud</c>).</summary>
    public bool NoPmtud { get; set; }

    /// <summary>Congestion controller (<c>--cc</c>): cubic, reno, bbr or bbr2.</summary>
    public string? CongestionController { get; set; }

    /// <summary>initial_max_data (<c>--max-data</c>, default 15M).</summary>
    public long? MaxData { get; set; }

    /// <summary>initial_max_stream_data_bidi_local (<c>--max-stream-data-bidi-local</c>, default 6M).</summary>
    public long? MaxStreamDataBidiLocal { get; set; }

    /// <summary>qlog output file (<c>--qlog-file</c>).</summary>
    public string? QlogFile { get; set; }

    /// <summary>Extra arguments, inserted before HOST.</summary>
    public IList<string> ExtraArguments { get; private set; } = new List<string>();

    /// <summary>Hard deadline for the whole run; the process tree is killed when it passes (default 30 s).</summary>
    public TimeSpan Deadline { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A copy whose lists are independent of this one's.</summary>
    public Ngtcp2ClientOptions Clone()
    {
        var copy = (Ngtcp2ClientOptions)MemberwiseClone();
        copy.Urls = new List<string>(Urls);
        copy.ExtraArguments = new List<string>(ExtraArguments);
        return copy;
    }
}
