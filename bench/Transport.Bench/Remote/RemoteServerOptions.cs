using System.Globalization;
using System.Net;
using Transport.Reliable.Congestion;

namespace Transport.Bench.Remote;

/// <summary>The <c>server</c> command's options (see <see cref="Usage"/>).</summary>
internal sealed class RemoteServerOptions
{
    public int Port { get; init; } = PerfFraming.DefaultPort;

    public IPAddress Bind { get; init; } = IPAddress.Any;

    public CongestionControlAlgorithm CongestionControl { get; init; } = CongestionControlAlgorithm.Cubic;

    /// <summary>Whether --cc was given (TCP sockets keep the kernel default otherwise).</summary>
    public bool CongestionControlGiven { get; init; }

    public string? CertificatePath { get; init; }

    public string? CertificatePassword { get; init; }

    /// <summary>QUIC UDP payload size (both directions).</summary>
    public int MaxDatagramSize { get; init; } = 1452;

    public bool Quiet { get; init; }

    public bool Help { get; init; }

    public const string Usage = """
        usage: dotnet run -c Release --project bench/Transport.Bench -- server [options]

        Serves the QUIC performance protocol (draft-banks-quic-performance, ALPN "perf") with Transport's QUIC on UDP,
        and the same framing over kernel TCP and TCP+TLS 1.3 on the same TCP port number (TLS is told from plain TCP
        by its first byte). Many clients at once; one line per finished connection; runs until Ctrl+C.

          --port N           UDP and TCP port (default 4433, secnetperf's)
          --bind ADDR        local address (default 0.0.0.0; use :: for IPv6)
          --cc ALGO          congestion control: newreno, cubic (default) or bbr; for TCP sockets sets TCP_CONGESTION
                             (reno/cubic/bbr; a warning when the kernel refuses)
          --cert FILE.pfx    certificate (PKCS#12) instead of a fresh self-signed one; --cert-password PW
          --datagram-size N  QUIC UDP payload size (default 1452: a 1500-byte path over IPv6; lower it on smaller paths)
          --quiet            no per-connection lines
          --help             this text

        At start it prints the certificate's SHA-256 fingerprint: give it to the client as --pin (the client refuses
        the server otherwise, unless told --insecure).
        """;

    public static RemoteServerOptions? Parse(string[] args, out string? error)
    {
        error = null;
        int port = PerfFraming.DefaultPort, datagramSize = 1452;
        IPAddress bind = IPAddress.Any;
        CongestionControlAlgorithm cc = CongestionControlAlgorithm.Cubic;
        bool ccGiven = false, quiet = false, help = false;
        string? cert = null, password = null;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            bool NeedValue()
            {
                if (value is null) { return false; }
                i++;
                return true;
            }
            switch (arg)
            {
                case "--help": case "-h": help = true; break;
                case "--quiet": quiet = true; break;
                case "--port":
                    if (!NeedValue() || !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535) { error = "--port needs a port number 1..65535"; return null; }
                    break;
                case "--bind":
                    if (!NeedValue() || !IPAddress.TryParse(value, out IPAddress? address)) { error = "--bind needs an IP address (0.0.0.0, ::, or a local address)"; return null; }
                    bind = address;
                    break;
                case "--cc":
                    if (!NeedValue() || !RemoteNames.TryParseCongestionControl(value!, out cc)) { error = "--cc needs newreno, cubic or bbr"; return null; }
                    ccGiven = true;
                    break;
                case "--cert":
                    if (!NeedValue()) { error = "--cert needs a .pfx file"; return null; }
                    cert = value;
                    break;
                case "--cert-password":
                    if (!NeedValue()) { error = "--cert-password needs a value"; return null; }
                    password = value;
                    break;
                case "--datagram-size":
                    if (!NeedValue() || !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out datagramSize) || datagramSize is < 1200 or > 65527) { error = "--datagram-size needs 1200..65527"; return null; }
                    break;
                default:
                    error = $"unknown server option '{arg}'";
                    return null;
            }
        }
        return new RemoteServerOptions
        {
            Port = port, Bind = bind, CongestionControl = cc, CongestionControlGiven = ccGiven, CertificatePath = cert,
            CertificatePassword = password, MaxDatagramSize = datagramSize, Quiet = quiet, Help = help,
        };
    }
}
