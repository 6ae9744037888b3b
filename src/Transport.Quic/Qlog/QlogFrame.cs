namespace Transport.Quic.Qlog;

/// <summary>
/// One recorded frame: a plain struct so that a <see cref="QlogFrameList"/> stores frames in a reused array. What
/// <see cref="A"/>, <see cref="B"/>, <see cref="C"/> and <see cref="Flag"/> mean depends on <see cref="Kind"/> (see the
/// Add methods of <see cref="QlogFrameList"/>); byte fields (connection IDs, tokens, reason phrases) live in the list's
/// byte pool at <see cref="BytesStart"/>/<see cref="BytesLength"/> and <see cref="Bytes2Start"/>/<see cref="Bytes2Length"/>.
/// </summary>
internal struct QlogFrame
{
    public QlogFrameKind Kind;
    public bool Flag;
    public ulong A;
    public ulong B;
    public ulong C;
    public int BytesStart;
    public int BytesLength;
    public int Bytes2Start;
    public int Bytes2Length;
    public string? Text;
}
