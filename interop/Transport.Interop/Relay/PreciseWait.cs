using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Transport.Interop.Relay;

/// <summary>
/// Waits until a <see cref="Stopwatch"/> timestamp: sleeps (nanosleep on Linux, so sub-millisecond sleeps are possible)
/// until <c>spinTicks</c> before it, then spins. Sleeps at most <c>maxSleepTicks</c> at a time so a stop request is seen.
/// </summary>
internal static partial class PreciseWait
{
    private static readonly bool UseNanosleep = OperatingSystem.IsLinux();

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "nanosleep", SetLastError = true)]
    private static partial int NanoSleep(in Timespec request, IntPtr remaining);

    [StructLayout(LayoutKind.Sequential)]
    private struct SchedParam
    {
        public int Priority;
    }

    [LibraryImport("libc", EntryPoint = "sched_setscheduler", SetLastError = true)]
    private static partial int SchedSetScheduler(int pid, int policy, in SchedParam param);

    /// <summary>
    /// Linux: moves the calling thread to SCHED_FIFO at <paramref name="priority"/> (1..99) so that a loaded machine
    /// delays it less. Needs CAP_SYS_NICE (root); returns false when refused or unavailable.
    /// </summary>
    public static bool TryEnterRealTime(int priority)
    {
        if (!UseNanosleep) return false;
        try
        {
            return SchedSetScheduler(0, 1 /* SCHED_FIFO */, new SchedParam { Priority = priority }) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Returns false when <paramref name="stop"/> became true before <paramref name="due"/>.</summary>
    public static bool Until(long due, long spinTicks, long maxSleepTicks, ref bool stop)
    {
        while (true)
        {
            if (Volatile.Read(ref stop)) return false;
            long remaining = due - Stopwatch.GetTimestamp();
            if (remaining <= 0) return true;
            if (remaining > spinTicks)
            {
                Sleep(Math.Min(remaining - spinTicks, maxSleepTicks));
                continue;
            }
            var spinner = new SpinWait();
            while (Stopwatch.GetTimestamp() < due) spinner.SpinOnce(sleep1Threshold: -1);
            return true;
        }
    }

    private static void Sleep(long ticks)
    {
        long nanoseconds = (long)(ticks * (1e9 / Stopwatch.Frequency));
        if (UseNanosleep)
        {
            try
            {
                var ts = new Timespec { Seconds = nanoseconds / 1_000_000_000, Nanoseconds = nanoseconds % 1_000_000_000 };
                NanoSleep(ts, IntPtr.Zero);
                return;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                // Fall through to Thread.Sleep.
            }
        }
        int ms = (int)(nanoseconds / 1_000_000);
        if (ms > 0) Thread.Sleep(ms);
        else Thread.Yield();
    }
}
