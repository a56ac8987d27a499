print("kith-sample")
