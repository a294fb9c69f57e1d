print("wecom-fcgi")
