#!/usr/bin/python3
"""Writes the .npy fixtures of NpyTest with NumPy itself (python3-numpy): run it in this folder."""
import numpy as np

a = (np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2) - 11.5) / 4
np.save('f32-2x3x2x2.npy', a)
np.save('f64.npy', a.astype(np.float64))
np.save('fortran.npy', np.asfortranarray(a[0, 0]))
np.save('f32-1d.npy', np.array([1.5, -2, 3], dtype=np.float32))
