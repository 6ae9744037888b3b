using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Transport.Core.Udp;

namespace Transport.Bench.Datagrams;

/// <summary>
/// 1200-byte datagrams over 127.0.0.1 on one thread: each invocation sends <see cref="DatagramsPerOperation"/>
/// datagrams and receives them all back (loopback delivers during the send, and the receive buffer holds them), so
/// the mean is the cost of sending plus receiving one datagram and nothing is lost. Contenders: a plain blocking
/// Socket.SendTo/ReceiveFrom loop (baseline), the driver on its plain path, and the driver with GSO trains and GRO +
/// recvmmsg receives. MemoryDiagnoser's Allocated column is per datagram (target 0).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(DatagramBenchmarkConfig))]
public class DatagramLoopbackBenchmarks
{
    public const int DatagramSize = 1200;
    public const int DatagramsPerOperation = 64;

    private readonly byte[] _train = new byte[DatagramSize * DatagramsPerOperation];
    private readonly byte[] _receiveBuffer = new byte[65536];

    private Socket _rawSender = null!, _rawReceiver = null!;
    private SocketAddress _rawTo = null!, _rawFrom = null!;

    private UdpDatagramSocket _plainSender = null!, _plainReceiver = null!;
    private SocketAddress _plainTo = null!;
    private DatagramBatch _plainBatch = null!;

    private UdpDatagramSocket _offloadSender = null!, _offloadReceiver = null!;
    private SocketAddress _offloadTo = null!;
    private DatagramBatch _offloadBatch = null!;

    [GlobalSetup]
    public void Setup()
    {
        _rawReceiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 4 << 20 };
        _rawReceiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _rawSender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _rawSender.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _rawTo = _rawReceiver.LocalEndPoint!.Serialize();
        _rawFrom = new SocketAddress(AddressFamily.InterNetwork);

        (_plainSender, _plainReceiver) = (Open(false), Open(false));
        _plainTo = _plainSender.CreateRemoteAddress(_plainReceiver.LocalEndPoint);
        _plainBatch = _plainReceiver.CreateBatch(DatagramsPerOperation);

        (_offloadSender, _offloadReceiver) = (Open(true), Open(true));
        _offloadTo = _offloadSender.CreateRemoteAddress(_offloadReceiver.LocalEndPoint);
        _offloadBatch = _offloadReceiver.CreateBatch(DatagramsPerOperation);
    }

    private static UdpDatagramSocket Open(bool offload) => new(new UdpSocketOptions
    {
        LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
        EnableGso = offload,
        EnableGro = offload,
        ReceiveBufferSize = 4 << 20,
    });

    [GlobalCleanup]
    public void Cleanup()
    {
        _rawSender.Dispose();
        _rawReceiver.Dispose();
        _plainSender.Dispose();
        _plainReceiver.Dispose();
        _offloadSender.Dispose();
        _offloadReceiver.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = DatagramsPerOperation, Description = "Socket.SendTo/ReceiveFrom")]
    public int SocketSendToReceiveFrom()
    {
        ReadOnlySpan<byte> datagram = _train.AsSpan(0, DatagramSize);
        for (int i = 0; i < DatagramsPerOperation; i++)
            _rawSender.SendTo(datagram, SocketFlags.None, _rawTo);
        int bytes = 0;
        for (int i = 0; i < DatagramsPerOperation; i++)
            bytes += _rawReceiver.ReceiveFrom(_receiveBuffer, SocketFlags.None, _rawFrom);
        return bytes;
    }

    [Benchmark(OperationsPerInvoke = DatagramsPerOperation, Description = "UdpDatagramSocket plain")]
    public int DriverPlain()
    {
        ReadOnlySpan<byte> datagram = _train.AsSpan(0, DatagramSize);
        for (int i = 0; i < DatagramsPerOperation; i++)
            _plainSender.Send(datagram, _plainTo);
        int received = 0;
        while (received < DatagramsPerOperation)
            received += _plainReceiver.Receive(_plainBatch);
        return received;
    }

    [Benchmark(OperationsPerInvoke = DatagramsPerOperation, Description = "UdpDatagramSocket GSO/GRO")]
    public int DriverGsoGro()
    {
        _offloadSender.SendSegments(_train, DatagramSize, _offloadTo); // 64 datagrams: two sendmsg calls (54 + 10)
        int received = 0;
        while (received < DatagramsPerOperation)
            received += _offloadReceiver.Receive(_offloadBatch);
        return received;
    }
}
