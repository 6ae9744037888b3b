using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Transport.Core.Udp;

namespace Transport.Bench.Datagrams;

/// <summary>
/// <c>datagrams</c> command: one sender thread and one receiver thread over 127.0.0.1, for each contender in turn
/// (a plain blocking Socket.SendTo/ReceiveFrom loop, the driver on its plain path, the driver with GSO/GRO), and a
/// Markdown table of what the receiver got per second and what the process allocated per datagram.
/// Options: <c>--seconds S</c> (measured time per contender, default 3), <c>--size N</c> (datagram bytes, default 1200),
/// <c>--train K</c> (datagrams per GSO send, default 32).
/// </summary>
internal static class DatagramThroughputTool
{
    private const int SocketBufferSize = 4 << 20;

    public static int Run(string[] args)
    {
        double seconds = 3;
        int size = 1200, train = 32;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--seconds": seconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--size": size = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--train": train = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default:
                    Console.Error.WriteLine($"unknown option {args[i]}; options: --seconds S --size N --train K");
                    return 2;
            }
        }
        if (size is < 1 or > UdpDatagramSocket.MaxSendPayload || train is < 1 or > UdpDatagramSocket.MaxSegmentsPerSend)
        {
            Console.Error.WriteLine($"--size must be 1..{UdpDatagramSocket.MaxSendPayload}, --train 1..{UdpDatagramSocket.MaxSegmentsPerSend}");
            return 2;
        }
        train = Math.Min(train, UdpDatagramSocket.MaxSendPayload / size);

        Console.WriteLine($"Loopback datagram throughput: {size}-byte datagrams, 127.0.0.1, one sender and one receiver thread, " +
                          $"{seconds:0.#} s measured per contender after 0.5 s warm-up, {Environment.ProcessorCount} cores, {RuntimeDescription()}.");
        Console.WriteLine();
        var results = new List<Result>
        {
            Measure(new RawSocketContender(size), seconds),
            Measure(new DriverContender(size, offload: false, train), seconds),
            Measure(new DriverContender(size, offload: true, train), seconds),
        };

        Console.WriteLine("| contender | sent datagrams/s | received datagrams/s | received Gbit/s | loss | datagrams per receive call | allocated bytes per datagram |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in results)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Name} | {r.SentPerSecond:N0} | {r.ReceivedPerSecond:N0} | {r.ReceivedPerSecond * size * 8 / 1e9:0.00} | {r.Loss:P1} | {r.PerReceiveCall:0.0} | {r.AllocatedPerDatagram:0.00} |"));
        }
        Console.WriteLine();
        Console.WriteLine("Sent and received rates differ when the sender outruns the receiver and the kernel drops at the full receive buffer (loss). " +
                          "Allocation is the whole process's (GC.GetTotalAllocatedBytes) during the measured window, divided by datagrams sent plus received.");
        return 0;
    }

    private static string RuntimeDescription() => $"{System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription} on {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";

    private sealed record Result(string Name, double SentPerSecond, double ReceivedPerSecond, double Loss, double PerReceiveCall, double AllocatedPerDatagram);

    private static Result Measure(Contender contender, double seconds)
    {
        using (contender)
        {
            var sender = new Thread(contender.SendLoop) { IsBackground = true, Name = "bench-send" };
            var receiver = new Thread(contender.ReceiveLoop) { IsBackground = true, Name = "bench-receive" };
            receiver.Start();
            sender.Start();

            Thread.Sleep(500); // warm-up: JIT tiers, socket buffers
            long sent0 = contender.Sent, received0 = contender.Received, calls0 = contender.ReceiveCalls;
            long allocated0 = GC.GetTotalAllocatedBytes(precise: true);
            var clock = Stopwatch.StartNew();
            Thread.Sleep(TimeSpan.FromSeconds(seconds));
            long sent1 = contender.Sent, received1 = contender.Received, calls1 = contender.ReceiveCalls;
            long allocated1 = GC.GetTotalAllocatedBytes(precise: true);
            double elapsed = clock.Elapsed.TotalSeconds;

            contender.Stop();
            sender.Join(TimeSpan.FromSeconds(5));
            receiver.Join(TimeSpan.FromSeconds(5));

            long sent = sent1 - sent0, received = received1 - received0, calls = calls1 - calls0;
            return new Result(
                contender.Name,
                sent / elapsed,
                received / elapsed,
                sent == 0 ? 0 : Math.Max(0, 1 - (double)received / sent),
                calls == 0 ? 0 : (double)received / calls,
                (sent + received) == 0 ? 0 : (double)(allocated1 - allocated0) / (sent + received));
        }
    }

    /// <summary>One way of moving datagrams: a send loop and a receive loop that run until <see cref="Stop"/>.</summary>
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

        protected void CountSent(int n) => Interlocked.Add(ref _sent, n);
        protected void CountReceived(int n)
        {
            Interlocked.Add(ref _received, n);
            Interlocked.Increment(ref _receiveCalls);
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
        private readonly SocketAddress _to;
        private readonly int _size;

        public RawSocketContender(int size)
        {
            _size = size;
            _receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = SocketBufferSize };
            _receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { SendBufferSize = SocketBufferSize };
            _sender.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _to = _receiver.LocalEndPoint!.Serialize();
        }

        public override string Name => "Socket.SendTo/ReceiveFrom (baseline)";

        public override void SendLoop()
        {
            byte[] datagram = new byte[_size];
            try
            {
                while (!Stopping)
                {
                    _sender.SendTo(datagram, SocketFlags.None, _to);
                    CountSent(1);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        }

        public override void ReceiveLoop()
        {
            byte[] buffer = new byte[65536];
            var from = new SocketAddress(AddressFamily.InterNetwork);
            try
            {
                while (true)
                {
                    _receiver.ReceiveFrom(buffer, SocketFlags.None, from);
                    CountReceived(1);
                }
            }
            // The shutdown that ends the run wakes the receive with an empty sender (Size 0): the next call rejects it.
            catch (Exception e) when (e is SocketException or ObjectDisposedException or ArgumentOutOfRangeException) { }
        }

        protected override void Close()
        {
            try { _receiver.Shutdown(SocketShutdown.Both); } catch (SocketException) { }
            _receiver.Dispose();
            _sender.Dispose();
        }
    }

    /// <summary>The driver: <see cref="UdpDatagramSocket"/> with offloads off (plain path) or on (GSO trains, GRO + recvmmsg).</summary>
    private sealed class DriverContender : Contender
    {
        private readonly UdpDatagramSocket _sender, _receiver;
        private readonly SocketAddress _to;
        private readonly int _size, _train;
        private readonly bool _offload;

        public DriverContender(int size, bool offload, int train)
        {
            _size = size;
            _train = train;
            _offload = offload;
            _receiver = new UdpDatagramSocket(Options(offload));
            _sender = new UdpDatagramSocket(Options(offload));
            _to = _sender.CreateRemoteAddress(_receiver.LocalEndPoint);
        }

        private static UdpSocketOptions Options(bool offload) => new()
        {
            LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            EnableGso = offload,
            EnableGro = offload,
            SendBufferSize = SocketBufferSize,
            ReceiveBufferSize = SocketBufferSize,
        };

        public override string Name => _offload
            ? $"UdpDatagramSocket GSO ({_train}/send{(_sender.IsGsoEnabled ? "" : ", unavailable")}) + GRO{(_receiver.IsGroEnabled ? "" : " (unavailable)")}"
            : "UdpDatagramSocket plain";

        public override void SendLoop()
        {
            byte[] train = new byte[_size * _train];
            try
            {
                if (_offload)
                {
                    while (!Stopping) CountSent(_sender.SendSegments(train, _size, _to));
                }
                else
                {
                    ReadOnlySpan<byte> datagram = train.AsSpan(0, _size);
                    while (!Stopping)
                    {
                        _sender.Send(datagram, _to);
                        CountSent(1);
                    }
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        }

        public override void ReceiveLoop()
        {
            var batch = _receiver.CreateBatch(64);
            try
            {
                while (true) CountReceived(_receiver.Receive(batch));
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        }

        protected override void Close()
        {
            _receiver.Dispose();
            _sender.Dispose();
        }
    }
}
