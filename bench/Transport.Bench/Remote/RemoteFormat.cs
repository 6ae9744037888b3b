using System.Globalization;

namespace Transport.Bench.Remote;

/// <summary>Human-readable byte counts for log lines.</summary>
internal static class RemoteFormat
{
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB"];
        double value = bytes;
        int unit = 0;
        while (value >= 1000 && unit < units.Length - 1) { value /= 1000; unit++; }
        return unit == 0 ? $"{bytes} B" : value.ToString("F2", CultureInfo.InvariantCulture) + " " + units[unit];
    }
}
