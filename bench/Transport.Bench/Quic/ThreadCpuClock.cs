using System.Runtime.InteropServices;

namespace Transport.Bench.Quic;

/// <summary>CPU time of the calling thread (Linux CLOCK_THREAD_CPUTIME_ID): immune to other processes sharing the cores.</summary>
internal static partial class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out Timespec value);

    /// <summary>Nanoseconds of CPU this thread has used; -1 where the clock is unavailable (not Linux).</summary>
    public static long NowNanoseconds()
    {
        if (!OperatingSystem.IsLinux()) return -1;
        return ClockGetTime(ClockThreadCpuTimeId, out Timespec t) == 0 ? t.Seconds * 1_000_000_000 + t.Nanoseconds : -1;
    }
}
