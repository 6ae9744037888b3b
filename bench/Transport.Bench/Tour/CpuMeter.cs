using System.Diagnostics;

namespace Transport.Bench.Tour;

/// <summary>Process CPU time (user + kernel, every thread: client AND server, both run in this process).</summary>
internal static class CpuMeter
{
    public static TimeSpan ProcessCpuTime()
    {
        using Process process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }
}
