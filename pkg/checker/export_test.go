package checker

// PacksReadWhole is how many packs the one-pass check found damaged and
// read again whole.
func PacksReadWhole(r *Report) int { return r.packsReadWhole }
