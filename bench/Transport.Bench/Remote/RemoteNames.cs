using System.Globalization;
using Transport.Reliable.Congestion;

namespace Transport.Bench.Remote;

/// <summary>Contender names (as in the tour) and option parsing helpers shared by the server and client modes.</summary>
internal static class RemoteNames
{
    public const string Quic = "Transport QUIC";
    public const string Tcp = "kernel TCP";
    public const string Tls = "TCP+TLS 1.3";

    public static string Of(RemoteProtocol protocol) => protocol switch
    {
        RemoteProtocol.Quic => Quic,
        RemoteProtocol.Tcp => Tcp,
        _ => Tls,
    };

    public static string Of(RemoteTest test) => test switch
    {
        RemoteTest.Upload => "upload",
        RemoteTest.Download => "download",
        RemoteTest.RequestResponse => "rr",
        _ => "handshakes",
    };

    public static bool TryParseCongestionControl(string text, out CongestionControlAlgorithm algorithm)
    {
        switch (text.ToLowerInvariant())
        {
            case "newreno": case "reno": algorithm = CongestionControlAlgorithm.NewReno; return true;
            case "cubic": algorithm = CongestionControlAlgorithm.Cubic; return true;
            case "bbr": algorithm = CongestionControlAlgorithm.Bbr; return true;
            default: algorithm = default; return false;
        }
    }

    /// <summary>The Linux TCP_CONGESTION name of <paramref name="algorithm"/>.</summary>
    public static string KernelName(CongestionControlAlgorithm algorithm) => algorithm switch
    {
        CongestionControlAlgorithm.NewReno => "reno",
        CongestionControlAlgorithm.Bbr => "bbr",
        _ => "cubic",
    };

    /// <summary>Parses a byte count with an optional k/m/g suffix (powers of 1000, like secnetperf) or K/M/GiB-style Ki/Mi/Gi suffix.</summary>
    public static bool TryParseBytes(string text, out long bytes)
    {
        bytes = 0;
        string t = text.Trim();
        long multiplier = 1;
        string[] binary = ["ki", "mi", "gi"];
        string[] units = ["k", "m", "g"];
        string lower = t.ToLowerInvariant();
        if (lower.EndsWith('b')) lower = lower[..^1];
        for (int i = 0; i < 3; i++)
        {
            if (lower.EndsWith(binary[i], StringComparison.Ordinal)) { multiplier = 1L << (10 * (i + 1)); lower = lower[..^2]; break; }
            if (lower.EndsWith(units[i], StringComparison.Ordinal)) { multiplier = (long)Math.Pow(1000, i + 1); lower = lower[..^1]; break; }
        }
        if (!double.TryParse(lower, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || value < 0 || double.IsNaN(value)) return false;
        bytes = (long)(value * multiplier);
        return true;
    }

    /// <summary>Uppercase hex with colons, like openssl's fingerprints.</summary>
    public static string Fingerprint(byte[] sha256) => string.Join(':', sha256.Select(b => b.ToString("X2", CultureInfo.InvariantCulture)));

    /// <summary>Parses a SHA-256 fingerprint given as 64 hex digits, with or without colons.</summary>
    public static byte[]? ParseFingerprint(string text)
    {
        string hex = text.Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);
        if (hex.Length != 64) return null;
        try { return Convert.FromHexString(hex); }
        catch (FormatException) { return null; }
    }
}
