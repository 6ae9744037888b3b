namespace Transport.Core.Udp;

/// <summary>What the socket learned about one received datagram besides its bytes and sender.</summary>
public readonly struct DatagramMetadata
{
    private readonly byte _typeOfService;
    private readonly bool _hasTypeOfService;

    /// <summary>Creates metadata.</summary>
    /// <param name="segmentSize">The GRO segment size of the train this datagram came in, or 0 if it arrived alone.</param>
    /// <param name="typeOfService">The IP TOS / IPv6 traffic class byte, if known.</param>
    public DatagramMetadata(int segmentSize, byte? typeOfService)
    {
        SegmentSize = segmentSize;
        _hasTypeOfService = typeOfService.HasValue;
        _typeOfService = typeOfService.GetValueOrDefault();
    }

    /// <summary>
    /// The GRO segment size when the kernel coalesced this datagram with others of the same size from the same sender
    /// (the datagram is then one segment of that train), else 0.
    /// </summary>
    public int SegmentSize { get; }

    /// <summary>Whether <see cref="TypeOfService"/> is known (see <see cref="UdpSocketOptions.ReceiveTypeOfService"/>).</summary>
    public bool HasTypeOfService => _hasTypeOfService;

    /// <summary>The IP TOS / IPv6 traffic class byte the datagram carried; 0 when not known.</summary>
    public byte TypeOfService => _typeOfService;

    /// <summary>The ECN codepoint: the low two bits of <see cref="TypeOfService"/> (RFC 3168 §5); 0 (Not-ECT) when not known.</summary>
    public int EcnCodepoint => _typeOfService & 0b11;
}
