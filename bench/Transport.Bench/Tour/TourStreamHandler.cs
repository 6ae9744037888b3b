namespace Transport.Bench.Tour;

/// <summary>What a tour server does with each stream a client opens.</summary>
internal delegate Task TourStreamHandler(ITourStream stream, CancellationToken cancellationToken);
