using System.Net;

namespace Transport.Interop.Matrix;

/// <summary>What a client endpoint is run with (the runner's client container environment).</summary>
public sealed class ClientRequest
{
    /// <summary>TESTCASE.</summary>
    public required string TestCase { get; init; }

    /// <summary>REQUESTS: https://server4:443/&lt;file&gt; URLs.</summary>
    public required IReadOnlyList<string> Requests { get; init; }

    /// <summary>Where the client actually sends (the relay), standing in for server4:443.</summary>
    public required IPEndPoint Target { get; init; }

    /// <summary>/downloads.</summary>
    public required string DownloadDirectory { get; init; }

    /// <summary>/logs of the client.</summary>
    public required string LogDirectory { get; init; }

    /// <summary>/certs (the client gets them too; only ca.pem would matter).</summary>
    public required string CertificatesDirectory { get; init; }

    /// <summary>The client's (empty) /www.</summary>
    public required string WebRoot { get; init; }

    /// <summary>
    /// ALPN the server side can speak when it is not the test case's own (Debian's ngtcp2 speaks only "h3"), or null.
    /// Our endpoint gets it as ALPN; the runner itself never needs this.
    /// </summary>
    public string? ServerAlpn { get; init; }

    /// <summary>The test's timeout: the client is killed when it passes.</summary>
    public required TimeSpan Deadline { get; init; }
}
