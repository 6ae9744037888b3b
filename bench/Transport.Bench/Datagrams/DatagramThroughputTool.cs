using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Transport.Core.Udp;

namespace Transport.Bench.Datagrams;

/// <summary>
/// <c>datagrams</c> command: loopback (127.0.0.1) datagram throughput of each contender — a plain blocking
/// Socket.SendTo/ReceiveFrom loop (baseline), the driver on its plain path (one <c>Send</c> per datagram), the driver
/// sending trains without GSO (<c>SendSegments</c>, sendmmsg), the driver with GSO/GRO — in two modes:
/// <list type="bullet">
/// <item><c>stream</c>: one sender and one receiver thread for a fixed time; what the receiver got per second, the loss,
/// and what the process allocated per datagram. With loss the receiver is the bottleneck and its rate is its maximum.</item>
/// <item><c>phases</c>: one thread sends a burst of 64 datagrams, then receives them all (loopback queues them during the
/// send), measuring the thread's CPU time (user + kernel, CLOCK_THREAD_CPUTIME_ID) of each phase apart: the cost of
/// sending and of receiving one datagram, nothing lost, no scheduling between two threads, and time spent waiting for a
/// core on a busy machine left out.</item>
/// </list>
/// Options: <c>--seconds S</c> (measured time per contender and mode, default 2), <c>--size N</c> (datagram bytes,
/// default 1200), <c>--train K</c> (datagrams per GSO send, default 32), <c>--rounds R</c> (repeat everything R times,
/// rotating the contender order each round; the table shows medians and the min..max of the main figure, default 1),
/// <c>--mode stream|phases|both</c> (default both), <c>--only a,b</c> (contenders: raw, plain, train, offload, portable —
/// the last is the driver restricted to the portable Socket calls, as off Linux).
/// </summary>
internal static class DatagramThroughputTool
{
    private const int SocketBufferSize = 4 << 20;
    private const int Burst = 64;

    private static readonly string[] AllKinds = ["raw", "plain", "train", "offload", "portable"];

    public static int Run(string[] args)
    {
        double seconds = 2;
        int size = 1200, train = 32, rounds = 1;
        string mode = "both";
        string[] kinds = AllKinds;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--seconds": seconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--size": size = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--train": train = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--rounds": rounds = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--mode": mode = args[i + 1]; break;
                case "--only": kinds = args[i + 1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                default:
                    Console.Error.WriteLine($"unknown option {args[i]}; options: --seconds S --size N --train K --rounds R --mode stream|phases|both --only raw,plain,train,offload,portable");
                    return 2;
            }
        }
        if (size is < 1 or > UdpDatagramSocket.MaxSendPayload || train is < 1 or > UdpDatagramSocket.MaxSegmentsPerSend || rounds < 1 ||
            mode is not ("stream" or "phases" or "both") || Array.Exists(kinds, k => Array.IndexOf(AllKinds, k) < 0) || kinds.Length == 0)
        {
            Console.Error.WriteLine($"--size must be 1..{UdpDatagramSocket.MaxSendPayload}, --train 1..{UdpDatagramSocket.MaxSegmentsPerSend}, --rounds >= 1, --mode stream|phases|both, --only of raw,plain,train,offload,portable");
            return 2;
        }
        train = Math.Min(train, UdpDatagramSocket.MaxSendPayload / size);

        Console.WriteLine($"Loopback datagram throughput: {size}-byte datagrams, 127.0.0.1, {seconds:0.#} s per contender and mode after 0.5 s warm-up, " +
                          $"{rounds} round(s) in rotating order, {Environment.ProcessorCount} cores, {RuntimeDescription()}.");
        Console.WriteLine();

        var stream = new Dictionary<string, List<StreamResult>>();
        var phases = new Dictionary<string, List<PhaseResult>>();
        var names = new Dictionary<string, string>();
        for (int round = 0; round < rounds; round++)
        {
            for (int j = 0; j < kinds.Length; j++)
            {
                string kind = kinds[(j + round) % kinds.Length];
                if (mode is "stream" or "both")
                {
                    using Contender c = Create(kind, size, train);
                    names[kind] = c.Name;
                    Add(stream, kind, MeasureStream(c, seconds));
                }
                if (mode is "phases" or "both")
                {
                    using Contender c = Create(kind, size, train);
                    names[kind] = c.Name;
                    Add(phases, kind, MeasurePhases(c, seconds));
                }
            }
        }

        if (stream.Count > 0)
        {
            Console.WriteLine("Stream (one sender thread, one receiver thread):");
            Console.WriteLine();
            Console.WriteLine("| contender | sent datagrams/s | received datagrams/s | received min..max | received Gbit/s | loss | datagrams per receive call | sender CPU ns/datagram | receiver CPU ns/datagram | receiver max datagrams/s (1/CPU) | allocated bytes per datagram |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (string kind in kinds)
            {
                List<StreamResult> r = stream[kind];
                double received = Median(r, x => x.ReceivedPerSecond);
                double receiverCpu = Median(r, x => x.ReceiverCpuNs);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {names[kind]} | {Median(r, x => x.SentPerSecond):N0} | {received:N0} | {Min(r, x => x.ReceivedPerSecond):N0}..{Max(r, x => x.ReceivedPerSecond):N0} | {received * size * 8 / 1e9:0.00} | {Median(r, x => x.Loss):P1} | {Median(r, x => x.PerReceiveCall):0.0} | {Median(r, x => x.SenderCpuNs):0} | {receiverCpu:0} | {(receiverCpu > 0 ? 1e9 / receiverCpu : 0):N0} | {Median(r, x => x.AllocatedPerDatagram):0.00} |"));
            }
            Console.WriteLine();
            Console.WriteLine("Sent and received rates differ when the sender outruns the receiver and the kernel drops at the full receive buffer (loss); " +
                              "then the received rate is what the receiver managed with the CPU it got. CPU ns/datagram is each thread's own CPU " +
                              "time (user + kernel) per datagram it handled; 1/CPU is the rate the receiver would reach with a core to itself. Allocation is the whole process's (GC.GetTotalAllocatedBytes) during the " +
                              "measured window, divided by datagrams sent plus received.");
            Console.WriteLine();
        }
        if (phases.Count > 0)
        {
            Console.WriteLine($"Phases (one thread: send {Burst}, then receive {Burst}; the thread's CPU time, user + kernel, per datagram of each phase):");
            Console.WriteLine();
            Console.WriteLine("| contender | send CPU ns/datagram | send min..max | receive CPU ns/datagram | receive min..max | datagrams per receive call | allocated bytes per datagram |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (string kind in kinds)
            {
                List<PhaseResult> r = phases[kind];
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {names[kind]} | {Median(r, x => x.SendNs):0} | {Min(r, x => x.SendNs):0}..{Max(r, x => x.SendNs):0} | {Median(r, x => x.ReceiveNs):0} | {Min(r, x => x.ReceiveNs):0}..{Max(r, x => x.ReceiveNs):0} | {Median(r, x => x.PerReceiveCall):0.0} | {Median(r, x => x.AllocatedPerDatagram):0.00} |"));
            }
            Console.WriteLine();
        }
        return 0;
    }

    private static Contender Create(string kind, int size, int train) => kind switch
    {
        "raw" => new RawSocketContender(size),
        "plain" => new DriverContender(size, DriverMode.Plain, train),
        "train" => new DriverContender(size, DriverMode.PlainTrains, train),
        "portable" => new DriverContender(size, DriverMode.Portable, train),
        _ => new DriverContender(size, DriverMode.Offload, train),
    };

    private static void Add<T>(Dictionary<string, List<T>> d, string key, T value)
    {
        if (!d.TryGetValue(key, out List<T>? list)) d[key] = list = [];
        list.Add(value);
    }

    private static double Median<T>(List<T> values, Func<T, double> f)
    {
        var xs = new double[values.Count];
        for (int i = 0; i < xs.Length; i++) xs[i] = f(values[i]);
        Array.Sort(xs);
        return xs.Length % 2 == 1 ? xs[xs.Length / 2] : (xs[xs.Length / 2 - 1] + xs[xs.Length / 2]) / 2;
    }

    private static double Min<T>(List<T> values, Func<T, double> f)
    {
        double m = double.MaxValue;
        foreach (T v in values) m = Math.Min(m, f(v));
        return m;
    }

    private static double Max<T>(List<T> values, Func<T, double> f)
    {
        double m = double.MinValue;
        foreach (T v in values) m = Math.Max(m, f(v));
        return m;
    }

    private static string RuntimeDescription() => $"{System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription} on {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";

    private sealed record StreamResult(double SentPerSecond, double ReceivedPerSecond, double Loss, double PerReceiveCall, double AllocatedPerDatagram,
        double SenderCpuNs, double ReceiverCpuNs);

    private sealed record PhaseResult(double SendNs, double ReceiveNs, double PerReceiveCall, double AllocatedPerDatagram);

    private static StreamResult MeasureStream(Contender contender, double seconds)
    {
        var sender = new Thread(contender.SendLoop) { IsBackground = true, Name = "bench-send" };
        var receiver = new Thread(contender.ReceiveLoop) { IsBackground = true, Name = "bench-receive" };
        receiver.Start();
        sender.Start();

        Thread.Sleep(500); // warm-up: JIT tiers, socket buffers
        long sent0 = contender.Sent, received0 = contender.Received, calls0 = contender.ReceiveCalls;
        CpuSample tx0 = contender.SenderCpu, rx0 = contender.ReceiverCpu;
        long allocated0 = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        Thread.Sleep(TimeSpan.FromSeconds(seconds));
        long sent1 = contender.Sent, received1 = contender.Received, calls1 = contender.ReceiveCalls;
        CpuSample tx1 = contender.SenderCpu, rx1 = contender.ReceiverCpu;
        long allocated1 = GC.GetTotalAllocatedBytes(precise: true);
        double elapsed = clock.Elapsed.TotalSeconds;

        contender.Stop();
        sender.Join(TimeSpan.FromSeconds(5));
        receiver.Join(TimeSpan.FromSeconds(5));

        long sent = sent1 - sent0, received = received1 - received0, calls = calls1 - calls0;
        return new StreamResult(
            sent / elapsed,
            received / elapsed,
            sent == 0 ? 0 : Math.Max(0, 1 - (double)received / sent),
            calls == 0 ? 0 : (double)received / calls,
            (sent + received) == 0 ? 0 : (double)(allocated1 - allocated0) / (sent + received),
            tx1.PerDatagramSince(tx0),
            rx1.PerDatagramSince(rx0));
    }

    /// <summary>A thread's CPU time and how many datagrams it had handled then.</summary>
    private readonly record struct CpuSample(long CpuNs, long Datagrams)
    {
        public double PerDatagramSince(CpuSample earlier)
            => Datagrams > earlier.Datagrams ? (double)(CpuNs - earlier.CpuNs) / (Datagrams - earlier.Datagrams) : 0;
    }

    private static PhaseResult MeasurePhases(Contender contender, double seconds)
    {
        // Warm-up (JIT tiers), then the measured window.
        long warmUntil = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 2;
        while (Stopwatch.GetTimestamp() < warmUntil)
        {
            contender.SendBurst(Burst);
            contender.ReceiveBurst(Burst);
        }

        // The thread's CPU time (user + kernel), not wall time: time the scheduler gives other processes on a busy
        // machine does not count, which makes the figures comparable from run to run.
        long sendNs = 0, receiveNs = 0, datagrams = 0, calls = 0;
        long allocated0 = GC.GetTotalAllocatedBytes(precise: true);
        long end = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < end)
        {
            long t0 = ThreadCpuNanoseconds();
            contender.SendBurst(Burst);
            long t1 = ThreadCpuNanoseconds();
            calls += contender.ReceiveBurst(Burst);
            long t2 = ThreadCpuNanoseconds();
            sendNs += t1 - t0;
            receiveNs += t2 - t1;
            datagrams += Burst;
        }
        long allocated1 = GC.GetTotalAllocatedBytes(precise: true);
        return new PhaseResult(
            (double)sendNs / datagrams,
            (double)receiveNs / datagrams,
            calls == 0 ? 0 : (double)datagrams / calls,
            (double)(allocated1 - allocated0) / (2 * datagrams));
    }

    private const int CLOCK_THREAD_CPUTIME_ID = 3;

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct Timespec
    {
        public nint Seconds;
        public nint Nanoseconds;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out Timespec value);

    /// <summary>CPU time of the calling thread (Linux); elsewhere wall time, which a busy machine inflates.</summary>
    private static long ThreadCpuNanoseconds()
    {
        if (OperatingSystem.IsLinux() && ClockGetTime(CLOCK_THREAD_CPUTIME_ID, out Timespec t) == 0)
            return (long)t.Seconds * 1_000_000_000 + t.Nanoseconds;
        return (long)(Stopwatch.GetTimestamp() * (1e9 / Stopwatch.Frequency));
    }

    /// <summary>One way of moving datagrams: a send loop and a receive loop that run until <see cref="Stop"/>, or bursts on one thread.</summary>
    private abstract class Contender : IDisposable
    {
        protected volatile bool Stopping;
        private long _sent, _received, _receiveCalls;

        public abstract string Name { get; }
        public long Sent => Interlocked.Read(ref _sent);
        public long Received => Interlocked.Read(ref _received);
        public long ReceiveCalls => Interlocked.Read(ref _receiveCalls);

        public abstract void SendLoop();
        public abstract void ReceiveLoop();

        /// <summary>Sends <paramref name="n"/> datagrams.</summary>
        public abstract void SendBurst(int n);

        /// <summary>Receives <paramref name="n"/> queued datagrams; returns the receive calls it took.</summary>
        public abstract int ReceiveBurst(int n);

        // Each loop samples its own thread's CPU time every so many calls, with its datagram count then, so the
        // measuring thread can work out CPU per datagram for either side.
        private readonly Lock _cpuLock = new();
        private CpuSample _senderCpu, _receiverCpu;
        private int _sendCalls, _receiveCallsSinceSample;

        public CpuSample SenderCpu { get { lock (_cpuLock) return _senderCpu; } }
        public CpuSample ReceiverCpu { get { lock (_cpuLock) return _receiverCpu; } }

        protected void CountSent(int n)
        {
            long total = Interlocked.Add(ref _sent, n);
            if (++_sendCalls < 256) return;
            _sendCalls = 0;
            long cpu = ThreadCpuNanoseconds();
            lock (_cpuLock) _senderCpu = new CpuSample(cpu, total);
        }

        protected void CountReceived(int n)
        {
            long total = Interlocked.Add(ref _received, n);
            Interlocked.Increment(ref _receiveCalls);
            if (++_receiveCallsSinceSample < 64) return;
            _receiveCallsSinceSample = 0;
            long cpu = ThreadCpuNanoseconds();
            lock (_cpuLock) _receiverCpu = new CpuSample(cpu, total);
        }

        /// <summary>Stops the sender, then closes the sockets, which ends a receiver blocked for more.</summary>
        public void Stop()
        {
            Stopping = true;
            Thread.Sleep(50);
            Dispose();
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) Close();
        }

        protected abstract void Close();

        private int _disposed;
    }

    /// <summary>The baseline: Socket.SendTo / Socket.ReceiveFrom with SocketAddress, one datagram per call, blocking.</summary>
    private sealed class RawSocketContender : Contender
    {
        private readonly Socket _sender, _receiver;
        private readonly SocketAddress _to, _from;
        private readonly byte[] _datagram, _buffer = new byte[65536];

        public RawSocketContender(int size)
        {
            _datagram = new byte[size];
            _receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = SocketBufferSize };
            _receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { SendBufferSize = SocketBufferSize };
            _sender.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _to = _receiver.LocalEndPoint!.Serialize();
            _from = new SocketAddress(AddressFamily.InterNetwork);
        }

        public override string Name => "Socket.SendTo/ReceiveFrom (baseline)";

        public override void SendLoop()
        {
            try
            {
                while (!Stopping)
                {
                    _sender.SendTo(_datagram, SocketFlags.None, _to);
                    CountSent(1);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        }

        public override void ReceiveLoop()
        {
            var from = new SocketAddress(AddressFamily.InterNetwork);
            try
            {
                while (true)
                {
                    _receiver.ReceiveFrom(_buffer, SocketFlags.None, from);
                    CountReceived(1);
                }
            }
            // The shutdown that ends the run wakes the receive with an empty sender (Size 0): the next call rejects it.
            catch (Exception e) when (e is SocketException or ObjectDisposedException or ArgumentOutOfRangeException) { }
        }

        public override void SendBurst(int n)
        {
            for (int i = 0; i < n; i++) _sender.SendTo(_datagram, SocketFlags.None, _to);
        }

        public override int ReceiveBurst(int n)
        {
            for (int i = 0; i < n; i++) _receiver.ReceiveFrom(_buffer, SocketFlags.None, _from);
            return n;
        }

        protected override void Close()
        {
            try { _receiver.Shutdown(SocketShutdown.Both); } catch (SocketException) { }
            _receiver.Dispose();
            _sender.Dispose();
        }
    }

    private enum DriverMode
    {
        Plain,
        PlainTrains,
        Offload,
        Portable,
    }

    /// <summary>
    /// The driver: <see cref="UdpDatagramSocket"/> with offloads off, sending one datagram per <c>Send</c> (plain) or
    /// trains through <c>SendSegments</c> (plain trains), or with offloads on (GSO trains, GRO + recvmmsg).
    /// </summary>
    private sealed class DriverContender : Contender
    {
        private readonly UdpDatagramSocket _sender, _receiver;
        private readonly SocketAddress _to;
        private readonly int _size, _train;
        private readonly DriverMode _mode;
        private readonly byte[] _trainBuffer;
        private readonly DatagramBatch _batch;

        public DriverContender(int size, DriverMode mode, int train)
        {
            _size = size;
            _train = train;
            _mode = mode;
            bool offload = mode == DriverMode.Offload, portable = mode == DriverMode.Portable;
            _receiver = new UdpDatagramSocket(Options(offload, portable));
            _sender = new UdpDatagramSocket(Options(offload, portable));
            _to = _sender.CreateRemoteAddress(_receiver.LocalEndPoint);
            _trainBuffer = new byte[size * Math.Max(train, Burst)];
            _batch = _receiver.CreateBatch(64);
        }

        private static UdpSocketOptions Options(bool offload, bool portable)
        {
            var options = new UdpSocketOptions
            {
                LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
                EnableGso = offload,
                EnableGro = offload,
                SendBufferSize = SocketBufferSize,
                ReceiveBufferSize = SocketBufferSize,
            };
            if (portable) UsePortableCalls(options);
            return options;
        }

        // Apart, so that the tool also runs against a Transport.Core without this option (to compare builds).
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static void UsePortableCalls(UdpSocketOptions options) => options.PortableSystemCalls = true;

        public override string Name => _mode switch
        {
            DriverMode.Plain => "UdpDatagramSocket plain (Send per datagram)",
            DriverMode.Portable => "UdpDatagramSocket portable (Socket calls, one datagram each)",
            DriverMode.PlainTrains => $"UdpDatagramSocket plain, trains of {_train} (SendSegments without GSO)",
            _ => $"UdpDatagramSocket GSO ({_train}/send{(_sender.IsGsoEnabled ? "" : ", unavailable")}) + GRO{(_receiver.IsGroEnabled ? "" : " (unavailable)")}, SO_RCVBUF {_receiver.ReceiveBufferSize >> 10} KiB",
        };

        public override void SendLoop()
        {
            try
            {
                if (_mode is DriverMode.Plain or DriverMode.Portable)
                {
                    ReadOnlySpan<byte> datagram = _trainBuffer.AsSpan(0, _size);
                    while (!Stopping)
                    {
                        _sender.Send(datagram, _to);
                        CountSent(1);
                    }
                }
                else
                {
                    ReadOnlySpan<byte> train = _trainBuffer.AsSpan(0, _size * _train);
                    while (!Stopping) CountSent(_sender.SendSegments(train, _size, _to));
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        }

        public override void ReceiveLoop()
        {
            try
            {
                while (true) CountReceived(_receiver.Receive(_batch));
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        }

        public override void SendBurst(int n)
        {
            if (_mode is DriverMode.Plain or DriverMode.Portable)
            {
                ReadOnlySpan<byte> datagram = _trainBuffer.AsSpan(0, _size);
                for (int i = 0; i < n; i++) _sender.Send(datagram, _to);
            }
            else
            {
                _sender.SendSegments(_trainBuffer.AsSpan(0, _size * n), _size, _to);
            }
        }

        public override int ReceiveBurst(int n)
        {
            int received = 0, calls = 0;
            while (received < n)
            {
                received += _receiver.Receive(_batch);
                calls++;
            }
            return calls;
        }

        protected override void Close()
        {
            _receiver.Dispose();
            _sender.Dispose();
        }
    }
}
