using System.Runtime.InteropServices;

namespace Transport.Bench.Link;

/// <summary>The few libc calls the namespace link needs (Linux only): TUN devices, setns, ppoll, timer slack.</summary>
internal static unsafe class LinkNative
{
    public const int O_RDONLY = 0, O_RDWR = 2, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000; // x86_64 and aarch64
    public const int CLONE_NEWNET = 0x40000000;
    public const ulong TUNSETIFF = 0x400454ca;
    public const short IFF_TUN = 0x0001, IFF_NO_PI = 0x1000;
    public const short POLLIN = 0x1;
    public const int EAGAIN = 11, EINTR = 4;
    public const int PR_SET_TIMERSLACK = 29;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", SetLastError = true, EntryPoint = "open")]
    public static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true, EntryPoint = "close")]
    public static extern int Close(int fd);

    [DllImport("libc", SetLastError = true, EntryPoint = "ioctl")]
    public static extern int Ioctl(int fd, ulong request, byte* arg);

    [DllImport("libc", SetLastError = true, EntryPoint = "read")]
    public static extern nint Read(int fd, byte* buffer, nint count);

    [DllImport("libc", SetLastError = true, EntryPoint = "write")]
    public static extern nint Write(int fd, byte* buffer, nint count);

    [DllImport("libc", SetLastError = true, EntryPoint = "setns")]
    public static extern int SetNs(int fd, int nstype);

    [DllImport("libc", SetLastError = true, EntryPoint = "ppoll")]
    public static extern int PPoll(PollFd* fds, nuint nfds, Timespec* timeout, void* sigmask);

    [DllImport("libc", SetLastError = true, EntryPoint = "prctl")]
    public static extern int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    public const int SCHED_FIFO = 1, CLOCK_THREAD_CPUTIME_ID = 3;

    [DllImport("libc", SetLastError = true, EntryPoint = "sched_setscheduler")]
    public static extern int SchedSetScheduler(int pid, int policy, int* param);

    [DllImport("libc", SetLastError = true, EntryPoint = "clock_gettime")]
    public static extern int ClockGetTime(int clock, Timespec* value);

    /// <summary>CPU time the calling thread has used.</summary>
    public static TimeSpan ThreadCpuTime()
    {
        Timespec t;
        ClockGetTime(CLOCK_THREAD_CPUTIME_ID, &t);
        return TimeSpan.FromTicks(t.Seconds * TimeSpan.TicksPerSecond + t.Nanoseconds / 100);
    }

    [DllImport("libc", SetLastError = true, EntryPoint = "geteuid")]
    public static extern uint GetEuid();

    [DllImport("libc", EntryPoint = "strerror")]
    private static extern nint StrError(int errno);

    public static string Error(int errno) => $"errno {errno} ({Marshal.PtrToStringUTF8(StrError(errno))})";

    public static string LastError() => Error(Marshal.GetLastPInvokeError());

    /// <summary>
    /// Moves the calling OS thread into the network namespace <paramref name="name"/> (as made by <c>ip netns add</c>).
    /// Only for dedicated threads that end afterwards (a pool thread must never change namespace).
    /// </summary>
    public static void EnterNamespace(string name)
    {
        int fd = Open("/var/run/netns/" + name, O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw new InvalidOperationException($"Cannot open network namespace '{name}': {LastError()}.");
        try
        {
            if (SetNs(fd, CLONE_NEWNET) != 0)
                throw new InvalidOperationException($"setns into '{name}' failed: {LastError()}.");
        }
        finally
        {
            Close(fd);
        }
    }

    /// <summary>Opens /dev/net/tun and attaches a new TUN device (IFF_TUN | IFF_NO_PI) named <paramref name="name"/>.</summary>
    public static int OpenTun(string name)
    {
        if (name.Length is 0 or > 15) throw new ArgumentException($"A device name has 1..15 characters (was '{name}').", nameof(name));
        int fd = Open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) throw new InvalidOperationException($"Cannot open /dev/net/tun: {LastError()}.");
        byte* ifr = stackalloc byte[40]; // struct ifreq: char ifr_name[16]; union { short ifr_flags; ... }
        new Span<byte>(ifr, 40).Clear();
        for (int i = 0; i < name.Length; i++) ifr[i] = (byte)name[i];
        *(short*)(ifr + 16) = (short)(IFF_TUN | IFF_NO_PI);
        if (Ioctl(fd, TUNSETIFF, ifr) != 0)
        {
            string error = LastError();
            Close(fd);
            throw new InvalidOperationException($"TUNSETIFF '{name}' failed: {error}.");
        }
        return fd;
    }
}
