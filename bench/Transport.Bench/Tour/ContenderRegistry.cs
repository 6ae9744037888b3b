namespace Transport.Bench.Tour;

/// <summary>
/// THE registration point: every contender the tour knows, in table order. The first is the default reference for
/// ratios. Transport's QUIC plugs in by replacing <see cref="TransportQuicContender"/>'s placeholder body; System.Net.Quic
/// by finishing <see cref="SystemNetQuicContender"/>.
/// </summary>
internal static class ContenderRegistry
{
    /// <summary>The name of the default reference contender.</summary>
    public const string DefaultReference = "kernel TCP";

    /// <summary>All contenders for one-stream measurements (loopback section), available or not.</summary>
    public static IReadOnlyList<ITransportContender> CreateAll() =>
    [
        new KernelTcpContender(TcpStreamMode.ConnectionPerStream),
        new KernelTcpContender(TcpStreamMode.Multiplexed),
        new TcpTlsContender(TcpStreamMode.ConnectionPerStream),
        new TransportQuicContender(),
        new TransportQuicContender(pathMtuDiscovery: false), // what PMTU discovery changes, side by side
        new TransportQuicContender(inlineCompletions: true), // the opt-in QuicListenerOptions.InlineCompletions (reads resume on the receive thread)
        new SystemNetQuicContender(),
    ];
}
